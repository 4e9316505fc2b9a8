"""End-to-end calls: app + sandbox switch + Redis + SQL over real sockets."""
