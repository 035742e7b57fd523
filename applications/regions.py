"""The 17 first-level divisions of Korea (시·도) and reading one off the start of an address.

Gwangju means 광주광역시. 경기도 광주시 is a different city in another province, so a region is
never guessed from the word 광주 alone when a province precedes it.
"""

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


def region_from_address(address: str) -> Region | None:
    """The region named by the address's first word, or None when it names none.

    Only the first word counts: in "경기도 광주시 오포읍" the region is 경기도; 광주시 is a city in it.
    """
    words = (address or "").split()
    return _PREFIXES.get(words[0]) if words else None
