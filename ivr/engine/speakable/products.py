"""Product names of futures contract codes, as each language speaks them. Pure data.

Rules: keys are exchange product codes in lower case (`rb`, `IF` -> `if`); a name never holds an
ASCII digit (a voice would have to guess it: 沪深300 is written 沪深三百). A code missing here is
spoken letter by letter.
"""

from __future__ import annotations

# code -> (Mandarin, English)
PRODUCTS: dict[str, tuple[str, str]] = {
    "rb": ("螺纹钢", "rebar"),
    "hc": ("热轧卷板", "hot-rolled coil"),
    "i": ("铁矿石", "iron ore"),
    "j": ("焦炭", "coke"),
    "jm": ("焦煤", "coking coal"),
    "cu": ("沪铜", "copper"),
    "al": ("沪铝", "aluminium"),
    "zn": ("沪锌", "zinc"),
    "ni": ("沪镍", "nickel"),
    "au": ("黄金", "gold"),
    "ag": ("白银", "silver"),
    "sc": ("原油", "crude oil"),
    "fu": ("燃料油", "fuel oil"),
    "ru": ("橡胶", "rubber"),
    "m": ("豆粕", "soybean meal"),
    "y": ("豆油", "soybean oil"),
    "a": ("豆一", "soybean number one"),
    "p": ("棕榈油", "palm oil"),
    "c": ("玉米", "corn"),
    "sr": ("白糖", "sugar"),
    "cf": ("棉花", "cotton"),
    "ta": ("精对苯二甲酸", "P T A"),
    "ma": ("甲醇", "methanol"),
    "fg": ("玻璃", "glass"),
    "sa": ("纯碱", "soda ash"),
    "if": ("沪深三百股指", "C S I three hundred index"),
    "ih": ("上证五十股指", "S S E fifty index"),
    "ic": ("中证五百股指", "C S I five hundred index"),
    "im": ("中证一千股指", "C S I one thousand index"),
    "t": ("十年期国债", "ten-year treasury bond"),
    "tf": ("五年期国债", "five-year treasury bond"),
}


def product_name(code: str, language: str) -> str:
    """The spoken name of `code` in `language` ('zh' or 'en'), or its letters spelled out."""
    names = PRODUCTS.get(code.lower())
    if names is None:
        return " ".join(code.upper())
    return names[0] if language == "zh" else names[1]
