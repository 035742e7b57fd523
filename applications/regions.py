"""The 17 first-level divisions of Korea (시·도) and reading one off an address.

Gwangju means 광주광역시. 경기도 광주시 is a different city in another province, so a region is
never guessed from the word 광주 alone when a province precedes it.
"""

import re

from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.TextChoices):
    SEOUL = "seoul", _("Seoul")
    BUSAN = "busan", _("Busan")
    DAEGU = "daegu", _("Daegu")
    INCHEON = "incheon", _("Incheon")
    GWANGJU = "gwangju", _("Gwangju Metropolitan City")
    DAEJEON = "daejeon", _("Daejeon")
    ULSAN = "ulsan", _("Ulsan")
    SEJONG = "sejong", _("Sejong")
    GYEONGGI = "gyeonggi", _("Gyeonggi-do")
    GANGWON = "gangwon", _("Gangwon")
    CHUNGBUK = "chungbuk", _("Chungcheongbuk-do")
    CHUNGNAM = "chungnam", _("Chungcheongnam-do")
    JEONBUK = "jeonbuk", _("Jeonbuk")
    JEONNAM = "jeonnam", _("Jeollanam-do")
    GYEONGBUK = "gyeongbuk", _("Gyeongsangbuk-do")
    GYEONGNAM = "gyeongnam", _("Gyeongsangnam-do")
    JEJU = "jeju", _("Jeju")


# Official names, older official names and the short forms people write at the start of an address.
_PREFIXES: dict[str, Region] = {
    **dict.fromkeys(["서울특별시", "서울시", "서울"], Region.SEOUL),
    **dict.fromkeys(["부산광역시", "부산시", "부산"], Region.BUSAN),
    **dict.fromkeys(["대구광역시", "대구시", "대구"], Region.DAEGU),
    **dict.fromkeys(["인천광역시", "인천시", "인천"], Region.INCHEON),
    **dict.fromkeys(["광주광역시", "광주"], Region.GWANGJU),
    **dict.fromkeys(["대전광역시", "대전시", "대전"], Region.DAEJEON),
    **dict.fromkeys(["울산광역시", "울산시", "울산"], Region.ULSAN),
    **dict.fromkeys(["세종특별자치시", "세종시", "세종"], Region.SEJONG),
    **dict.fromkeys(["경기도", "경기"], Region.GYEONGGI),
    **dict.fromkeys(["강원특별자치도", "강원도", "강원"], Region.GANGWON),
    **dict.fromkeys(["충청북도", "충북"], Region.CHUNGBUK),
    **dict.fromkeys(["충청남도", "충남"], Region.CHUNGNAM),
    **dict.fromkeys(["전북특별자치도", "전라북도", "전북"], Region.JEONBUK),
    **dict.fromkeys(["전라남도", "전남"], Region.JEONNAM),
    **dict.fromkeys(["경상북도", "경북"], Region.GYEONGBUK),
    **dict.fromkeys(["경상남도", "경남"], Region.GYEONGNAM),
    **dict.fromkeys(["제주특별자치도", "제주도", "제주"], Region.JEJU),
}

# The five districts (구) of 광주광역시. 경기도 광주시 has none: its parts are 읍, 면 and 동.
GWANGJU_DISTRICTS = ("동구", "서구", "남구", "북구", "광산구")
_GWANGJU_DISTRICTS_ROMAN = ("dong-gu", "seo-gu", "nam-gu", "buk-gu", "gwangsan-gu")

# Romanised names, as the last part of an address written in the English order
# ("123 Cheomdangwagi-ro, Buk-gu, Gwangju 61011"). "Gwangju-si" is 경기도 광주시, a city; 광주광역시
# is "Gwangju", "Gwangju Metropolitan City" or "Gwangju-gwangyeoksi".
_ROMAN: dict[str, Region] = {
    **dict.fromkeys(["seoul", "seoul-si", "seoul special city", "seoul-teukbyeolsi"], Region.SEOUL),
    **dict.fromkeys(["busan", "busan-si", "busan metropolitan city", "busan-gwangyeoksi"], Region.BUSAN),
    **dict.fromkeys(["daegu", "daegu-si", "daegu metropolitan city", "daegu-gwangyeoksi"], Region.DAEGU),
    **dict.fromkeys(["incheon", "incheon-si", "incheon metropolitan city", "incheon-gwangyeoksi"], Region.INCHEON),
    **dict.fromkeys(["gwangju", "gwangju metropolitan city", "gwangju-gwangyeoksi"], Region.GWANGJU),
    **dict.fromkeys(["daejeon", "daejeon-si", "daejeon metropolitan city", "daejeon-gwangyeoksi"], Region.DAEJEON),
    **dict.fromkeys(["ulsan", "ulsan-si", "ulsan metropolitan city", "ulsan-gwangyeoksi"], Region.ULSAN),
    **dict.fromkeys(["sejong", "sejong-si", "sejong city", "sejong special self-governing city"], Region.SEJONG),
    **dict.fromkeys(["gyeonggi-do", "gyeonggi", "gyeonggi province"], Region.GYEONGGI),
    **dict.fromkeys(["gangwon-do", "gangwon", "gangwon province", "gangwon state"], Region.GANGWON),
    **dict.fromkeys(["chungcheongbuk-do", "chungbuk", "north chungcheong province"], Region.CHUNGBUK),
    **dict.fromkeys(["chungcheongnam-do", "chungnam", "south chungcheong province"], Region.CHUNGNAM),
    **dict.fromkeys(["jeonbuk", "jeollabuk-do", "jeonbuk state", "north jeolla province"], Region.JEONBUK),
    **dict.fromkeys(["jeollanam-do", "jeonnam", "south jeolla province"], Region.JEONNAM),
    **dict.fromkeys(["gyeongsangbuk-do", "gyeongbuk", "north gyeongsang province"], Region.GYEONGBUK),
    **dict.fromkeys(["gyeongsangnam-do", "gyeongnam", "south gyeongsang province"], Region.GYEONGNAM),
    **dict.fromkeys(["jeju", "jeju-do", "jeju special self-governing province", "jeju province"], Region.JEJU),
}
_COUNTRY = re.compile(r"^(?:(?:the )?republic of korea|south korea|korea|rok|대한민국|한국)$")

# A postcode before the address: "(12345)", "[12345]", "우) 12345", "우편번호 12345", "12345",
# and the six-digit form used until 2015, "(123-456)".
_LEADING_POSTCODE = re.compile(r"^\s*(?:우편번호\s*:?|우\)|우\.)?\s*[(\[]?\s*(?:\d{5}|\d{3}-\d{3})\s*[)\]]?\s*[,.]?\s*")
_POSTCODE = re.compile(r"^(?:\d{5}|\d{3}-\d{3})$")


def _korean_region(address: str) -> Region | None:
    words = address.replace(",", " ").split()
    while words and _COUNTRY.match(words[0].lower()):
        words = words[1:]
    if not words:
        return None
    first, after = words[0], words[1] if len(words) > 1 else ""
    # "광주시" is 경기도 광주시, unless one of 광주광역시's districts follows ("광주시 북구 …", as people
    # sometimes write it); "광주" with no district is 광주광역시, the usual short form.
    if first == "광주시":
        return Region.GWANGJU if after in GWANGJU_DISTRICTS else Region.GYEONGGI
    if first == "광주" and after.endswith(("읍", "면")):
        return Region.GYEONGGI  # 광주광역시 has no 읍 or 면: "광주 오포읍" is 경기도 광주시
    if first in _PREFIXES:
        return _PREFIXES[first]
    # Written without a space after the province: "광주광역시북구 첨단과기로 123".
    for name in sorted(_PREFIXES, key=len, reverse=True):
        if len(name) >= 3 and name.endswith(("시", "도")) and first.startswith(name):
            return _PREFIXES[name]
    return None


def _romanised_region(address: str) -> Region | None:
    """The province of an address in the English order: the last part that names one, after the
    country and the postcode are set aside."""
    parts = [" ".join(part.split()).lower().strip(".") for part in address.split(",")]
    for part in reversed([part for part in parts if part]):
        words = part.split()
        while words and _POSTCODE.match(words[-1]):
            words = words[:-1]
        while words and _POSTCODE.match(words[0]):
            words = words[1:]
        part = " ".join(words)
        if not part or _COUNTRY.match(part):
            continue
        if part in _ROMAN:
            return _ROMAN[part]
        if part == "gwangju-si":
            return Region.GYEONGGI
        if part in _GWANGJU_DISTRICTS_ROMAN:
            return None  # a district with no city after it: as unknown as "북구" alone
        # The last part names a place but no province ("Seongnam-si" with nothing after it).
        return None
    return None


def region_from_address(address: str) -> Region | None:
    """The region (시·도) an address is in, or None when the address does not say.

    Reads a Korean address from its start ("경기도 광주시 오포읍 …": 경기도; 광주시 is a city in
    it), after a postcode ("(12345) …") or the country; and a romanised one from its end
    ("Gwangju-si, Gyeonggi-do": Gyeonggi-do; "Buk-gu, Gwangju 61011": 광주광역시).
    """
    address = _LEADING_POSTCODE.sub("", (address or "").strip(), count=1)
    if not address:
        return None
    if re.search(r"[가-힣]", address):
        return _korean_region(address)
    return _romanised_region(address)


def names_a_gwangju_address(text: str) -> bool:
    """Whether the text gives an address in 광주광역시 somewhere in it (a branch or lab's address
    written among other words: "광주 지사: 광주광역시 북구 첨단과기로 123")."""
    text = text or ""
    for match in re.finditer(r"광주|gwangju", text, flags=re.IGNORECASE):
        start = match.start()
        line = text[start:].splitlines()[0]
        if re.search(r"[가-힣]", line[:2]):
            # "광주 지사: …" names the city, not an address: a district must follow.
            words = line.replace(",", " ").split()
            if region_from_address(line) == Region.GWANGJU and (
                words[0] == "광주광역시" or (len(words) > 1 and words[1] in GWANGJU_DISTRICTS)
            ):
                return True
        else:
            # The English order ends with the province or city: read the whole line (what follows
            # "Gwangju" may be ", Gyeonggi-do", which makes it 경기도 광주시), without a Korean label
            # before it ("연구소: 123 Cheomdan-ro, Buk-gu, Gwangju"). As in Korean, the bare city
            # name is not an address: a district or "Metropolitan City" must be written.
            line_start = text.rfind("\n", 0, start) + 1
            line_end = text.find("\n", start)
            segment = text[line_start : line_end if line_end != -1 else len(text)]
            segment = re.sub(r"^.*[가-힣:]\s*", "", segment)
            lowered = segment.lower()
            names_city = any(d in lowered for d in _GWANGJU_DISTRICTS_ROMAN) or re.search(
                r"gwangju(\s+metropolitan\s+city|-gwangyeoksi)", lowered
            )
            if names_city and region_from_address(segment) == Region.GWANGJU:
                return True
    return False
