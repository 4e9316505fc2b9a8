"""futures-ivr: the ARI application of a futures brokerage's customer hotline."""

__version__ = "0.1.0"
