"""The demo cluster that `manage.py load_demo` loads: a cotton–textile cluster in Bukhara region.

Everything is computed from today's date (the cluster started 14 months ago, some action items are
overdue whenever the demo is loaded) and nothing is random, so two loads on the same day give the same
data. Loading is idempotent: when the demo cluster already exists only missing demo accounts are
recreated, so running the command on every start adds nothing.

The data (names, titles, minutes) is the cluster's own content, not interface text: it is written in Uzbek
(Latin), as a Bukhara cluster would write it, and is not translated with the interface.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from governance import services
from governance.choices import (
    ActionItemStatus,
    BodyKind,
    DecisionKind,
    DecisionOutcome,
    EnterpriseKind,
    EnterpriseStatus,
    MatrixArea,
    MeetingStatus,
    MemberRole,
    QuorumRule,
    RegulationKind,
    RegulationStatus,
    Responsibility,
    Role,
    ValueChainLink,
)
from governance.models import (
    ActionItem,
    AgendaItem,
    Body,
    Cluster,
    ClusterRole,
    Decision,
    Enterprise,
    Meeting,
    Membership,
    Regulation,
)

if TYPE_CHECKING:
    from core.typing import User

DEMO_PASSWORD = "demo12345"
CLUSTER_NAME = "Buxoro paxta-to'qimachilik klasteri"
CLUSTER_MONTHS = 14  # the cluster started on the first day of the month 14 months ago

# --- Enterprises ----------------------------------------------------------------------------------

K, L, S = EnterpriseKind, ValueChainLink, EnterpriseStatus


@dataclass(frozen=True)
class EnterpriseRow:
    taxpayer_id: str
    name: str
    kind: str
    link: str
    joined: int  # days after the cluster's start date
    address: str
    email: str
    status: str = S.ACTIVE


ENTERPRISES: tuple[EnterpriseRow, ...] = (
    # The leading enterprise: a vertically integrated spinning, knitting and sewing group.
    EnterpriseRow("305187264", "«Zarafshon Tekstil» MChJ", K.LEADING, L.PROCESSING, 0,
                  "Buxoro sh., Sanoat ko'chasi 12", "info@zarafshon-tekstil.example.uz"),
    # Supply: contracted cotton farms and the input suppliers.
    EnterpriseRow("311402567", "«Olot Baraka» fermer xo'jaligi", K.SUPPLIER, L.SUPPLY, 0,
                  "Olot tumani, Qirtay MFY", "olot-baraka@example.uz"),
    EnterpriseRow("311402981", "«G'ijduvon Zamin» fermer xo'jaligi", K.SUPPLIER, L.SUPPLY, 0,
                  "G'ijduvon tumani, Ko'kcha MFY", "gijduvon-zamin@example.uz"),
    EnterpriseRow("311403344", "«Vobkent Oq Oltin» fermer xo'jaligi", K.SUPPLIER, L.SUPPLY, 0,
                  "Vobkent tumani, Xalach MFY", "vobkent-oqoltin@example.uz"),
    EnterpriseRow("311404120", "«Romitan Nurli Dala» fermer xo'jaligi", K.SUPPLIER, L.SUPPLY, 0,
                  "Romitan tumani, Gazli yo'li", "romitan-nurlidala@example.uz"),
    EnterpriseRow("311405236", "«Jondor Hosildor» fermer xo'jaligi", K.SUPPLIER, L.SUPPLY, 45,
                  "Jondor tumani, Aleli MFY", "jondor-hosildor@example.uz"),
    EnterpriseRow("311405872", "«Qorako'l Yashil Vodiy» fermer xo'jaligi", K.SUPPLIER, L.SUPPLY, 60,
                  "Qorako'l tumani, Sayyot MFY", "qorakol-yashilvodiy@example.uz"),
    EnterpriseRow("311406409", "«Peshku Yulduzi» fermer xo'jaligi", K.SUPPLIER, L.SUPPLY, 0,
                  "Peshku tumani, Yangibozor MFY", "peshku-yulduzi@example.uz", S.LEFT),
    EnterpriseRow("311407115", "«Shofirkon Barakali Zamin» fermer xo'jaligi", K.SUPPLIER, L.SUPPLY, 90,
                  "Shofirkon tumani, Vardonze MFY", "shofirkon-barakali@example.uz"),
    EnterpriseRow("311407790", "«Kogon Dehqon Umidi» fermer xo'jaligi", K.SUPPLIER, L.SUPPLY, 150,
                  "Kogon tumani, Bo'ston MFY", "kogon-dehqonumidi@example.uz"),
    EnterpriseRow("311408263", "«Qorovulbozor Mehnat» fermer xo'jaligi", K.SUPPLIER, L.SUPPLY, 240,
                  "Qorovulbozor tumani, Jarqoq MFY", "qorovulbozor-mehnat@example.uz"),
    EnterpriseRow("311409057", "«Buxoro Tong Otar» fermer xo'jaligi", K.SUPPLIER, L.SUPPLY, 0,
                  "Buxoro tumani, Galaosiyo MFY", "buxoro-tongotar@example.uz"),
    EnterpriseRow("311409614", "«Zarafshon Bo'stoni» fermer xo'jaligi", K.SUPPLIER, L.SUPPLY, 300,
                  "G'ijduvon tumani, Sarvari MFY", "zarafshon-bostoni@example.uz"),
    EnterpriseRow("311410238", "«Vobkent Saxovat» fermer xo'jaligi", K.SUPPLIER, L.SUPPLY, 365,
                  "Vobkent tumani, Shirin MFY", "vobkent-saxovat@example.uz"),
    EnterpriseRow("302918476", "«Buxoro Agrokimyo Servis» MChJ", K.SUPPLIER, L.SUPPLY, 120,
                  "Buxoro tumani, Kogon yo'li 7", "agrokimyo@example.uz"),
    EnterpriseRow("302918533", "«Qorako'l Urug'chilik» MChJ", K.SUPPLIER, L.SUPPLY, 200,
                  "Qorako'l tumani, Markaziy ko'cha 3", "qorakol-urugchilik@example.uz"),
    # Processing: ginneries, spinning, weaving, knitting, finishing, sewing, by-products.
    EnterpriseRow("304556120", "«Kogon Paxta Tozalash» AJ", K.PROCESSOR, L.PROCESSING, 0,
                  "Kogon sh., Paxtakor ko'chasi 1", "kogon-paxta@example.uz"),
    EnterpriseRow("304556247", "«G'ijduvon Jin» MChJ", K.PROCESSOR, L.PROCESSING, 0,
                  "G'ijduvon sh., Sanoat zonasi", "gijduvon-jin@example.uz"),
    EnterpriseRow("304557318", "«Buxoro Yigiruv» MChJ", K.PROCESSOR, L.PROCESSING, 0,
                  "Buxoro sh., Qayum Murtazoyev ko'chasi 40", "buxoro-yigiruv@example.uz"),
    EnterpriseRow("304557461", "«Vobkent Ip-Kalava» MChJ", K.PROCESSOR, L.PROCESSING, 90,
                  "Vobkent sh., Ipakchi ko'chasi 5", "vobkent-ip@example.uz"),
    EnterpriseRow("304558093", "«Romitan To'qimachilik» MChJ", K.PROCESSOR, L.PROCESSING, 0,
                  "Romitan sh., Sanoat ko'chasi 2", "romitan-toqimachilik@example.uz"),
    EnterpriseRow("304558170", "«Buxoro Trikotaj» MChJ", K.PROCESSOR, L.PROCESSING, 0,
                  "Buxoro sh., Piridastgir ko'chasi 18", "buxoro-trikotaj@example.uz"),
    EnterpriseRow("304558642", "«Zarafshon Bo'yoq-Pardozlash» MChJ", K.PROCESSOR, L.PROCESSING, 150,
                  "Kogon sh., Temiryo'lchilar ko'chasi 9", "zarafshon-boyoq@example.uz"),
    EnterpriseRow("304559215", "«Shofirkon Tikuv» MChJ", K.PROCESSOR, L.PROCESSING, 0,
                  "Shofirkon sh., Mustaqillik ko'chasi 21", "shofirkon-tikuv@example.uz"),
    EnterpriseRow("304559388", "«Buxoro Moda Tikuv» XK", K.PROCESSOR, L.PROCESSING, 0,
                  "Buxoro sh., Alpomish ko'chasi 6", "buxoro-moda@example.uz"),
    EnterpriseRow("304559704", "«Qorako'l Denim» MChJ", K.PROCESSOR, L.PROCESSING, 30,
                  "Qorako'l sh., Yangi sanoat zonasi", "qorakol-denim@example.uz"),
    EnterpriseRow("304560031", "«Jondor Tikuv Fabrikasi» MChJ", K.PROCESSOR, L.PROCESSING, 120,
                  "Jondor tumani, Ko'lijabbor MFY", "jondor-tikuv@example.uz", S.SUSPENDED),
    EnterpriseRow("304560489", "«Buxoro Yog'-Moy» AJ", K.PROCESSOR, L.PROCESSING, 330,
                  "Buxoro sh., Navoiy shoh ko'chasi 77", "buxoro-yogmoy@example.uz"),
    # Service: transport, rail terminal, machinery, testing, packaging.
    EnterpriseRow("306771204", "«Buxoro Trans Logistik» MChJ", K.SERVICE, L.SERVICE, 0,
                  "Buxoro sh., Aeroport yo'li 3", "trans-logistik@example.uz"),
    EnterpriseRow("306771392", "«Kogon Temir Yo'l Terminali» MChJ", K.SERVICE, L.SERVICE, 0,
                  "Kogon sh., Vokzal maydoni 2", "kogon-terminal@example.uz"),
    EnterpriseRow("306772015", "«Agro Texservis Buxoro» MChJ", K.SERVICE, L.SERVICE, 30,
                  "Buxoro tumani, Mashina-traktor parki", "agro-texservis@example.uz"),
    EnterpriseRow("306772558", "«Buxoro Sifat Laboratoriyasi» MChJ", K.SERVICE, L.SERVICE, 0,
                  "Buxoro sh., Ibn Sino ko'chasi 14", "sifat-lab@example.uz"),
    EnterpriseRow("306773140", "«Buxoro Qadoqlash» MChJ", K.SERVICE, L.SERVICE, 400,
                  "Kogon sh., Sanoat zonasi 4", "buxoro-qadoqlash@example.uz"),
    # Innovation: the textile college, the cotton research station, an innovation centre, the investor.
    EnterpriseRow("308114502", "Buxoro yengil sanoat texnikumi", K.EDUCATION_RESEARCH, L.INNOVATION, 0,
                  "Buxoro sh., Muhammad Iqbol ko'chasi 11", "texnikum@example.uz"),
    EnterpriseRow("308114679", "Paxtachilik ilmiy-tadqiqot instituti Buxoro tajriba stansiyasi",
                  K.EDUCATION_RESEARCH, L.INNOVATION, 30,
                  "Buxoro tumani, Tajriba xo'jaligi", "tajriba-stansiya@example.uz"),
    EnterpriseRow("308115233", "«Tekstil Innovatsiya Markazi» MChJ", K.SERVICE, L.INNOVATION, 30,
                  "Buxoro sh., Texnopark, 2-bino", "innovatsiya@example.uz"),
    EnterpriseRow("309220418", "«Zarafshon Invest» AJ", K.INVESTOR, L.INNOVATION, 0,
                  "Buxoro sh., Mustaqillik ko'chasi 5", "zarafshon-invest@example.uz"),
    # Export structures.
    EnterpriseRow("307330926", "«Buxoro Tekstil Eksport» MChJ", K.EXPORT, L.SERVICE, 0,
                  "Buxoro sh., Bahouddin Naqshband ko'chasi 90", "tekstil-eksport@example.uz"),
    EnterpriseRow("307331457", "«Silk Road Textile Trading» MChJ", K.EXPORT, L.SERVICE, 30,
                  "Buxoro sh., Xalqlar do'stligi ko'chasi 2", "silkroad-trading@example.uz"),
)  # fmt: skip
LEADING_TAXPAYER_ID = "305187264"
DEMO_FARM_TAXPAYER_ID = "311402567"  # «Olot Baraka», represented by the `enterprise` demo user

# --- People ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonRow:
    username: str
    first_name: str
    last_name: str
    email: str


PEOPLE: tuple[PersonRow, ...] = (
    PersonRow("admin", "Anvar", "Tursunov", "a.tursunov@example.uz"),
    PersonRow("office", "Dilnoza", "Karimova", "d.karimova@example.uz"),
    PersonRow("council", "Rustam", "Xolmatov", "r.xolmatov@example.uz"),
    PersonRow("wg", "Sherzod", "Ergashev", "sh.ergashev@example.uz"),
    PersonRow("enterprise", "Bobur", "Hamroyev", "b.hamroyev@example.uz"),
    PersonRow("viewer", "Malika", "Yusupova", "m.yusupova@example.uz"),
    PersonRow("f.sodiqov", "Farrux", "Sodiqov", "f.sodiqov@example.uz"),
    PersonRow("n.rahimova", "Nodira", "Rahimova", "n.rahimova@example.uz"),
    PersonRow("a.jorayev", "Akmal", "Jo'rayev", "a.jorayev@example.uz"),
    PersonRow("g.sharipova", "Gulnora", "Sharipova", "g.sharipova@example.uz"),
    PersonRow("q.nurmatov", "Qahramon", "Nurmatov", "q.nurmatov@example.uz"),
    PersonRow("o.salimov", "Otabek", "Salimov", "o.salimov@example.uz"),
    PersonRow("z.mirzayeva", "Zulfiya", "Mirzayeva", "z.mirzayeva@example.uz"),
    PersonRow("j.usmonov", "Jamshid", "Usmonov", "j.usmonov@example.uz"),
    PersonRow("s.ismoilov", "Sardor", "Ismoilov", "s.ismoilov@example.uz"),
    PersonRow("u.hakimov", "Ulug'bek", "Hakimov", "u.hakimov@example.uz"),
    PersonRow("d.bozorov", "Dilshod", "Bozorov", "d.bozorov@example.uz"),
    PersonRow("sh.qurbonov", "Shavkat", "Qurbonov", "sh.qurbonov@example.uz"),
    PersonRow("a.polatov", "Azamat", "Po'latov", "a.polatov@example.uz"),
    PersonRow("f.abdurahmonova", "Feruza", "Abdurahmonova", "f.abdurahmonova@example.uz"),
    PersonRow("l.normurodov", "Laziz", "Normurodov", "l.normurodov@example.uz"),
    PersonRow("m.tosheva", "Mohira", "Tosheva", "m.tosheva@example.uz"),
    PersonRow("k.nazarova", "Kamola", "Nazarova", "k.nazarova@example.uz"),
    PersonRow("r.ortiqov", "Ravshan", "Ortiqov", "r.ortiqov@example.uz"),
    PersonRow("b.tojiyev", "Bekzod", "Tojiyev", "b.tojiyev@example.uz"),
    PersonRow("d.xasanov", "Doniyor", "Xasanov", "d.xasanov@example.uz"),
    PersonRow("n.sobirova", "Nilufar", "Sobirova", "n.sobirova@example.uz"),
    PersonRow("t.aliyev", "Timur", "Aliyev", "t.aliyev@example.uz"),
    PersonRow("s.qodirova", "Sevara", "Qodirova", "s.qodirova@example.uz"),
    PersonRow("i.yoldoshev", "Islom", "Yo'ldoshev", "i.yoldoshev@example.uz"),
    PersonRow("g.murodova", "Gavhar", "Murodova", "g.murodova@example.uz"),
    PersonRow("o.qayumov", "Oybek", "Qayumov", "o.qayumov@example.uz"),
)
# Accountants who report for their farms (besides the `enterprise` demo user's): the incentives demo's conditions
# reviews are theirs to answer.
FARM_ACCOUNTANTS = (("g.murodova", "311407115"), ("o.qayumov", "311410238"))


@dataclass(frozen=True)
class DemoLogin:
    """A demo account printed by the command: username, role and what it can do."""

    username: str
    role: str | Promise
    can_do: str | Promise
    grant: str = ""  # the cluster role granted directly when the account has to be recreated


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin(
        "admin",
        _("Platform administrator"),
        _("every cluster of the installation; manages it in the Django admin (/admin/)"),
    ),
    DemoLogin(
        "office",
        Role.OFFICE.label,
        _("coordinator of the cluster office: changes participants, bodies, meetings, decisions, action items"),
        Role.OFFICE,
    ),
    DemoLogin(
        "council",
        Role.COUNCIL.label,
        _("chair of the cluster council: reads the whole cluster, reviews decisions and action items"),
        Role.COUNCIL,
    ),
    DemoLogin(
        "wg",
        Role.WORKING_GROUP.label,
        _("member of the quality working group: updates the action items of the group and their own"),
        Role.WORKING_GROUP,
    ),
    DemoLogin(
        "enterprise",
        Role.ENTERPRISE.label,
        _("represents one contracted farm only: its own data and cluster aggregates"),
        Role.ENTERPRISE,
    ),
    DemoLogin("viewer", Role.VIEWER.label, _("reads the cluster, changes nothing"), Role.VIEWER),
)

# --- Bodies and memberships -----------------------------------------------------------------------
# Dates below are days relative to today (negative: in the past), unless a field says otherwise.


@dataclass(frozen=True)
class BodyRow:
    key: str
    kind: str
    name: str
    area: str
    established: int
    description: str


BODIES: tuple[BodyRow, ...] = (
    BodyRow("council", BodyKind.COUNCIL, "Klaster kengashi", "", -410,
            "Klasterning strategik organi: yetakchi korxona, ta'minot, qayta ishlash, servis va innovatsiya "
            "bo'g'inlari, investor hamda mustaqil rais uchun to'qqiz o'rin."),
    BodyRow("office", BodyKind.OFFICE, "Klaster ofisi", "", -410,
            "Kundalik muvofiqlashtirish: ishtirokchilar reyestri, ma'lumot yig'ish kalendari, yig'ilishlar, "
            "topshiriqlar ijrosini nazorat qilish, umumiy xizmatlar markazi."),
    BodyRow("logistics", BodyKind.WORKING_GROUP, "Logistika ishchi guruhi", "logistics", -385,
            "Paxta xomashyosini paxta tozalash korxonalariga yetkazib berish, tola, ip va tikuv mahsulotlarini "
            "jo'natish, umumiy transport."),
    BodyRow("quality", BodyKind.WORKING_GROUP, "Sifat ishchi guruhi", "quality", -385,
            "Tola, ip, mato va tikuv mahsulotlari sifati; umumiy laboratoriya; standartlashtirish va "
            "sertifikatlash."),
    BodyRow("skills", BodyKind.WORKING_GROUP, "Kadrlar ishchi guruhi", "skills", -385,
            "Ishchilarni o'qitish va qayta tayyorlash, to'qimachilik texnikumi bilan dual ta'lim, kadrlarni "
            "rejalashtirish."),
    BodyRow("innovation", BodyKind.WORKING_GROUP, "Innovatsiya ishchi guruhi", "innovation", -385,
            "G'o'za navlari, texnologiyalarni yangilash va ilmiy hamkorlar bilan uskunalarni modernizatsiya "
            "qilish."),
    BodyRow("export", BodyKind.WORKING_GROUP, "Eksport ishchi guruhi", "export", -385,
            "Eksport marketingi, xaridorlar va ko'rgazma-yarmarkalar, bozorlarni diversifikatsiya qilish."),
)  # fmt: skip


@dataclass(frozen=True)
class SeatRow:
    body: str
    username: str
    role: str
    enterprise: str = ""  # taxpayer id of the enterprise represented
    start: int | None = None  # None: the day the body was established
    end: int | None = None


R = MemberRole
SEATS: tuple[SeatRow, ...] = (
    SeatRow("council", "council", R.CHAIR),
    SeatRow("council", "n.rahimova", R.SECRETARY),
    SeatRow("council", "f.sodiqov", R.MEMBER, "305187264"),
    SeatRow("council", "a.jorayev", R.MEMBER, "304557318"),
    SeatRow("council", "g.sharipova", R.MEMBER, "304559388"),
    SeatRow("council", "q.nurmatov", R.MEMBER, "311402981"),
    SeatRow("council", "o.salimov", R.MEMBER, "306771204"),
    SeatRow("council", "z.mirzayeva", R.MEMBER, "308114502"),
    SeatRow("council", "j.usmonov", R.MEMBER, "309220418"),
    SeatRow("office", "office", R.COORDINATOR),
    SeatRow("office", "n.rahimova", R.MEMBER),
    SeatRow("office", "s.ismoilov", R.SECRETARY),
    SeatRow("logistics", "o.salimov", R.CHAIR, "306771204"),
    SeatRow("logistics", "s.ismoilov", R.SECRETARY),
    SeatRow("logistics", "u.hakimov", R.MEMBER, "306771392"),
    SeatRow("logistics", "d.bozorov", R.MEMBER, "305187264"),
    SeatRow("logistics", "a.polatov", R.MEMBER, "304556120"),
    SeatRow("logistics", "sh.qurbonov", R.MEMBER, "311406409", end=-160),  # his farm left the cluster
    SeatRow("logistics", "q.nurmatov", R.MEMBER, "311402981", start=-158),
    SeatRow("quality", "f.abdurahmonova", R.CHAIR, "305187264"),
    SeatRow("quality", "wg", R.MEMBER),
    SeatRow("quality", "l.normurodov", R.MEMBER, "306772558"),
    SeatRow("quality", "m.tosheva", R.MEMBER, "304558170"),
    SeatRow("quality", "a.polatov", R.MEMBER, "304556120"),
    SeatRow("skills", "z.mirzayeva", R.CHAIR, "308114502"),
    SeatRow("skills", "k.nazarova", R.SECRETARY, "305187264"),
    SeatRow("skills", "r.ortiqov", R.MEMBER, "304559215"),
    SeatRow("skills", "b.tojiyev", R.MEMBER, "306772015"),
    SeatRow("innovation", "d.xasanov", R.CHAIR, "308114679"),
    SeatRow("innovation", "n.sobirova", R.MEMBER, "308115233"),
    SeatRow("innovation", "j.usmonov", R.MEMBER, "309220418"),
    SeatRow("innovation", "a.jorayev", R.MEMBER, "304557318"),
    SeatRow("export", "g.sharipova", R.CHAIR, "304559388"),
    SeatRow("export", "t.aliyev", R.SECRETARY, "307330926"),
    SeatRow("export", "s.qodirova", R.MEMBER, "307331457"),
    SeatRow("export", "i.yoldoshev", R.MEMBER, "304559704"),
    SeatRow("export", "f.abdurahmonova", R.MEMBER, "305187264"),
)
LEFT_PEOPLE = ("sh.qurbonov",)  # their roles are withdrawn: their enterprise left the cluster

# --- Regulations ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegulationRow:
    key: str
    kind: str
    body: str  # body key, "" for a cluster-wide regulation
    title: str
    version: int
    text: str


_WG_PURPOSE = {
    "logistics": ("paxta xomashyosini paxta tozalash korxonalariga yetkazib berish, tola, ip va tayyor "
                  "mahsulotni jo'natish, umumiy transport va omborlar", "LEAD, OTD, DOWNTIME"),
    "quality": ("tola, ip, mato va tikuv mahsulotlari sifati, umumiy laboratoriya, standartlashtirish va "
                "sertifikatlash", "DEFECT"),
    "skills": ("ishchilarni o'qitish va qayta tayyorlash, to'qimachilik texnikumi bilan dual ta'lim va kadrlarni "
               "rejalashtirish", "SKILLS, PROD"),
    "innovation": ("g'o'za navlari, texnologiyalarni yangilash, uskunalarni modernizatsiya qilish va hamkorlar "
                   "bilan ilmiy tadqiqotlar", "VA, LOCAL"),
    "export": ("eksport marketingi, xaridorlar, ko'rgazma-yarmarkalar va bozorlarni diversifikatsiya qilish",
               "EXPORT, EXPGR, FPS"),
}  # fmt: skip


def _wg_regulation(area: str) -> RegulationRow:
    purpose, kpis = _WG_PURPOSE[area]
    text = (
        f"1. Ishchi guruh quyidagi masalalar bilan shug'ullanadi: {purpose}.\n"
        "2. Guruh raisi a'zolar tomonidan saylanadi va kengash tomonidan tasdiqlanadi; ofis guruhga kotib "
        "tayinlashi mumkin.\n"
        "3. Guruh kamida ikki oyda bir marta yig'iladi. A'zolarning yarmidan ko'pi qatnashsa, yig'ilish "
        "vakolatli hisoblanadi; qarorlar qatnashgan a'zolarning ko'pchilik ovozi bilan qabul qilinadi.\n"
        f"4. Guruh o'z yo'nalishidagi qo'shma loyihalar va topshiriqlar uchun javob beradi hamda o'z yo'nalishi "
        f"bo'yicha KPI ogohlantirishlarini ({kpis}) oladi.\n"
        "5. Guruh ofisga har oy, kengashga esa har chorakda hisobot beradi."
    )
    return RegulationRow(f"wg_{area}", RegulationKind.WORKING_GROUP, area, "Ishchi guruh reglamenti", 1, text)


_OFFICE_V1 = (
    "1. Klaster ofisi klaster faoliyatini kundalik muvofiqlashtiradi: ishtirokchilar reyestrini yuritadi, "
    "ma'lumot yig'ish kalendarini belgilaydi, kengash va ishchi guruhlar yig'ilishlarini tayyorlaydi hamda "
    "topshiriqlar ijrosini nazorat qiladi.\n"
    "2. Ofis tarkibida koordinator (ofis rahbari), ma'lumotlar va monitoring bo'yicha mutaxassis hamda "
    "loyihalar va xizmatlar bo'yicha mutaxassis bor.\n"
    "3. Ofis kamida oyda bir marta yig'iladi; operatsion qarorlar qatnashgan a'zolarning ko'pchilik ovozi "
    "bilan qabul qilinadi.\n"
    "4. Ofis kengashning har bir yig'ilishida kengashga hisobot beradi."
)
_DECISION_PROCEDURE_V1 = (
    "1. Kengash yig'ilishiga kiritiladigan masalalar ofisga yig'ilishdan kamida o'n kun oldin topshiriladi; "
    "kun tartibi va qarorlar loyihalari a'zolarga yetti kun oldin yuboriladi.\n"
    "2. Ochiq va muddati o'tgan topshiriqlar ularning ijrosini nazorat qiluvchi organning navbatdagi "
    "yig'ilishi kun tartibiga kiritiladi.\n"
    "3. Qaror faqat vakolatli (kvorumi bor) yig'ilishda qabul qilinishi mumkin. Qaror qatnashgan a'zolarning "
    "ko'pchilik ovozi bilan qabul qilinadi; betaraf qolish yoqlab berilgan ovoz hisoblanmaydi.\n"
    "4. Strategik qarorlarni (strategiya, portfel, reglamentlar, yo'l xaritasi bosqichlari, rag'batlantirish "
    "paketlarini berish) kengash qabul qiladi; operatsion qarorlarni ofis va ishchi guruhlar o'z "
    "reglamentlari doirasida qabul qiladi.\n"
    "5. Ijrosi ish talab qiladigan har bir qaror bo'yicha topshiriqlar beriladi: har bir topshiriqning bitta "
    "mas'ul ijrochisi (shaxs yoki ishchi guruh) va muddati bo'ladi. Ijro intizomi, ya'ni muddatida "
    "bajarilgan topshiriqlar ulushi, har chorakda kengashga ma'lum qilinadi."
)

REGULATIONS: tuple[RegulationRow, ...] = (
    RegulationRow(
        "council", RegulationKind.COUNCIL, "council", "Klaster kengashi reglamenti", 1,
        "1. Klaster kengashi klasterning strategik organidir. U rivojlanish strategiyasini, hamkorlik "
        "portfelini, klaster reglamentlarini va yo'l xaritasining bir bosqichidan keyingisiga o'tishni "
        "tasdiqlaydi.\n"
        "2. Kengash to'qqiz o'rindan iborat: yetakchi korxona, ta'minot, qayta ishlash, servis va innovatsiya "
        "bo'g'inlari vakillari, investor, ofisdan kotib va ikki yil muddatga saylanadigan mustaqil rais.\n"
        "3. Kengash kamida chorakda bir marta yig'iladi. A'zolarning kamida uchdan ikki qismi qatnashsa, "
        "yig'ilish vakolatli hisoblanadi.\n"
        "4. Qarorlar qatnashgan a'zolarning ko'pchilik ovozi bilan qabul qilinadi va yoqlab, qarshi hamda "
        "betaraf ovozlar soni bilan qayd etiladi.\n"
        "5. Ofis har bir yig'ilishda kengash topshiriqlarining ijrosi haqida hisobot beradi.",
    ),
    RegulationRow("office_v1", RegulationKind.OFFICE, "office", "Klaster ofisi reglamenti", 1, _OFFICE_V1),
    RegulationRow(
        "office_v2", RegulationKind.OFFICE, "office", "Klaster ofisi reglamenti", 2,
        _OFFICE_V1 + "\n"
        "5. Ofis umumiy xizmatlar markazini yuritadi: xizmatlar katalogi, so'rovlarning ustuvorlik bo'yicha "
        "navbati va ularni bajarish muddatlari.\n"
        "6. Ofis ma'lumot yig'ish reglamentida belgilangan qulflash sanasidan keyin besh ish kuni ichida "
        "kengashga oylik KPI ma'lumotnomasini yuboradi.",
    ),
    RegulationRow(
        "decision_procedure_v1", RegulationKind.DECISION_PROCEDURE, "", "Qaror qabul qilish tartibi", 1,
        _DECISION_PROCEDURE_V1,
    ),
    RegulationRow(
        "decision_procedure_v2", RegulationKind.DECISION_PROCEDURE, "", "Qaror qabul qilish tartibi", 2,
        _DECISION_PROCEDURE_V1 + "\n"
        "6. Shoshilinch hollarda kengash besh ish kuni ichida yozma ravishda (platformada yoki elektron pochta "
        "orqali) ovoz berishi mumkin; barcha a'zolarning yarmidan ko'pi yoqlab ovoz bersa, qaror qabul "
        "qilingan hisoblanadi.\n"
        "7. Manfaatlar to'qnashuvi bo'lgan a'zo bu haqda ma'lum qiladi va ushbu masala bo'yicha ovoz bermaydi.",
    ),
    RegulationRow(
        "data_collection", RegulationKind.DATA_COLLECTION, "", "Ma'lumot yig'ish reglamenti", 1,
        "1. Har bir ishtirokchi korxona oylik ko'rsatkichlarini (klaster KPI ko'rsatkichlarining ma'lumot "
        "elementlarini) platformada, shakl yoki Excel shabloni orqali topshiradi.\n"
        "2. Muddat: oy ko'rsatkichlari keyingi oyning 10-sanasigacha topshiriladi. Muddatdan keyin "
        "topshirilgan hisobot kechikkan hisoblanadi.\n"
        "3. Ofis hisobotlarni besh ish kuni ichida tekshiradi va tasdiqlaydi yoki sababini ko'rsatib "
        "qaytaradi; qaytarilgan hisobot tuzatilib, qayta topshiriladi.\n"
        "4. Qulflash: muddatdan 15 kun o'tgach (keyingi oyning 25-sanasida) oy qulflanadi. Qulflangandan keyin "
        "qiymat faqat ofis tasdiqlagan tuzatish orqali o'zgaradi; har bir o'zgarish qayd etib boriladi.\n"
        "5. Bo'sh qiymat «hisobot berilmagan» degani; nol qiymat 0 deb ko'rsatiladi.\n"
        "6. Hisobotni o'z vaqtida topshirish rag'batlantirish paketlarini olish shartlaridan biridir.",
    ),
    *(_wg_regulation(area) for area in ("logistics", "quality", "skills", "innovation", "export")),
)  # fmt: skip
DRAFT_REGULATIONS = {"decision_procedure_v2": -25}  # drafts, with the day they were written

# --- Meetings, decisions, action items ------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """An action item. Dates: `due`/`done` in days after the meeting, or `due_t`/`done_t` relative to today."""

    title: str
    person: str = ""  # owner: a username ...
    group: str = ""  # ... or a working-group key
    status: str = ActionItemStatus.OPEN
    due: int | None = None
    due_t: int | None = None
    done: int | None = None
    done_t: int | None = None
    description: str = ""


@dataclass(frozen=True)
class DecisionRow:
    title: str
    text: str
    votes: tuple[int, int, int] | None = None  # for, against, abstain; None: everybody present in favour
    kind: str = DecisionKind.OPERATIONAL
    approves: tuple[str, ...] = ()  # regulation keys approved by this decision
    items: tuple[Item, ...] = ()


@dataclass(frozen=True)
class MeetingRow:
    body: str
    day: int  # relative to today; a future meeting is planned, a past one held
    title: str
    agenda: tuple[str, ...]
    summary: str
    absent: tuple[str, ...] = ()
    decisions: tuple[DecisionRow, ...] = ()
    time: datetime.time = datetime.time(10, 0)
    location: str = ""


DONE, OPEN, IN_PROGRESS, CANCELLED = (
    ActionItemStatus.DONE,
    ActionItemStatus.OPEN,
    ActionItemStatus.IN_PROGRESS,
    ActionItemStatus.CANCELLED,
)
STRATEGIC = DecisionKind.STRATEGIC
COUNCIL_ROOM = "«Zarafshon Tekstil» MChJ, majlislar zali (Buxoro sh., Sanoat ko'chasi 12)"
OFFICE_ROOM = "Klaster ofisi (Buxoro sh., Mustaqillik ko'chasi 25)"
# How the minutes word a decision's outcome: the cluster's own words, not the interface's.
MINUTES_OUTCOMES: dict[str, str] = {
    DecisionOutcome.ADOPTED: "qabul qilindi",
    DecisionOutcome.REJECTED: "qabul qilinmadi",
}
# The council meeting that selected the phase-1 quick wins: demo.portfolio hangs their selection on it.
QUICK_WINS_MEETING = "Kengash yig'ilishi: tez natija beradigan loyihalar va 1-bosqich yakuni"

MEETINGS: tuple[MeetingRow, ...] = (
    MeetingRow(
        "council", -395, "Klaster kengashining ta'sis yig'ilishi",
        ("Kengash raisi va kotibini saylash", "Kengash reglamenti", "Ofis reglamenti va ofis xodimlari",
         "Qaror qabul qilish tartibi", "Klasterning ishchi guruhlari"),
        "Ta'sischi ishtirokchilar Rustam Xolmatovni ikki yil muddatga kengash raisi, Nodira Rahimovani esa "
        "kotib etib sayladi. Kengash o'z reglamentini, ofis reglamentini va qaror qabul qilish tartibini "
        "qabul qildi hamda beshta ishchi guruh tuzdi.",
        absent=("j.usmonov",), location=COUNCIL_ROOM,
        decisions=(
            DecisionRow("Klaster kengashi reglamentini tasdiqlash",
                        "Kengash reglamenti tasdiqlandi va shu kundan kuchga kiradi.",
                        kind=STRATEGIC, approves=("council",)),
            DecisionRow("Ofis reglamentini tasdiqlash va ofis koordinatorini tayinlash",
                        "Ofis reglamenti tasdiqlandi; Dilnoza Karimova klaster ofisining koordinatori etib "
                        "tayinlandi.", kind=STRATEGIC, approves=("office_v1",)),
            DecisionRow("Qaror qabul qilish tartibini tasdiqlash",
                        "Klasterning qaror qabul qilish tartibi tasdiqlandi.",
                        votes=(7, 0, 1), kind=STRATEGIC, approves=("decision_procedure_v1",)),
            DecisionRow(
                "Beshta ishchi guruh tuzish: logistika, sifat, kadrlar, innovatsiya va eksport",
                "Ishchi guruhlar tuzildi; ishtirokchilar uch hafta ichida guruhlarga a'zolikka nomzodlarni "
                "taqdim etadi.",
                kind=STRATEGIC,
                items=(
                    Item("Nomzodlarni yig'ish va ishchi guruhlarning a'zolari hamda raislari bo'yicha taklif kiritish",
                         person="office", status=DONE, due=21, done=18),
                    Item("Ishchi guruhlar reglamentlarining loyihasini tayyorlash", person="n.rahimova", status=DONE,
                         due=45, done=58,
                         description="Har bir guruhning yo'nalishiga moslashtirilgan yagona matn."),
                ),
            ),
        ),
    ),
    MeetingRow(
        "office", -380, "Ofis yig'ilishi: ishtirokchilar reyestri",
        ("Ishtirokchilar reyestri", "Korxonalarning mas'ul shaxslari"),
        "Ofis ishtirokchilarni ro'yxatga olish tartibini kelishib oldi: yuridik nomi, STIR, turi va qiymat "
        "zanjiri bo'g'ini, har bir korxona uchun mas'ul shaxs.",
        time=datetime.time(9, 0), location=OFFICE_ROOM,
        decisions=(
            DecisionRow(
                "Barcha ta'sischi ishtirokchilarni STIR va qiymat zanjiri bo'g'ini bilan ro'yxatga olish",
                "Har bir ta'sischi korxona birinchi hisobot oyidan oldin platformada ro'yxatga olinadi.",
                items=(
                    Item("Barcha ta'sischi korxonalarning ro'yxatga olish ma'lumotlarini yig'ish",
                         person="s.ismoilov", status=DONE, due=30, done=26),
                ),
            ),
        ),
    ),
    MeetingRow(
        "office", -330, "Ofis yig'ilishi: ma'lumot yig'ish kalendari",
        ("Yil uchun ma'lumot yig'ish kalendari", "Fermer xo'jaliklari uchun hisobot shabloni"),
        "Ofis ma'lumot yig'ish kalendarini (topshirish muddati — 10-sana, qulflash — 25-sana) va fermer "
        "xo'jaliklari uchun soddalashtirilgan shablonni tayyorladi; ular kengash tasdig'iga kiritiladi.",
        time=datetime.time(9, 0), location=OFFICE_ROOM,
        decisions=(
            DecisionRow(
                "Ma'lumot yig'ish reglamenti va kalendari loyihasini kengashga kiritish",
                "Reglament loyihasi kengashning navbatdagi yig'ilishiga kiritiladi.",
                items=(
                    Item("Ma'lumot yig'ish reglamenti loyihasini va muddatlar kalendarini yakunlash",
                         person="n.rahimova", status=DONE, due=21, done=17),
                ),
            ),
        ),
    ),
    MeetingRow(
        "council", -305, "Kengash yig'ilishi: rivojlanish strategiyasi va ma'lumot yig'ish",
        ("Klasterni rivojlantirish strategiyasi", "Ishchi guruhlar reglamentlari", "Ma'lumot yig'ish reglamenti"),
        "Kengash uch yillik rivojlanish strategiyasini (tayyor mahsulotni ko'paytirish, barqaror sifat, eksport), "
        "ishchi guruhlar reglamentlarini va ma'lumot yig'ish reglamentini qabul qildi.",
        absent=("q.nurmatov",), location=COUNCIL_ROOM,
        decisions=(
            DecisionRow(
                "Klasterning {year}–{year_plus_2} yillarga mo'ljallangan rivojlanish strategiyasini tasdiqlash",
                "Maqsadlar: tayyor mahsulot ulushini 38 foizdan 55 foizga yetkazish, nuqson darajasini 3 foizdan "
                "pastga tushirish, eksport tushumini bir yarim baravar oshirish, barcha shartnomaviy fermer "
                "xo'jaliklari har oy hisobot topshirishi.",
                votes=(7, 0, 1), kind=STRATEGIC,
                items=(
                    Item("Strategiyani e'lon qilish va barcha ishtirokchi korxonalarga tushuntirish", person="office",
                         status=DONE, due=30, done=24),
                ),
            ),
            DecisionRow(
                "Ishchi guruhlar reglamentlarini tasdiqlash",
                "Beshta ishchi guruhning reglamentlari tasdiqlandi.", kind=STRATEGIC,
                approves=("wg_logistics", "wg_quality", "wg_skills", "wg_innovation", "wg_export"),
                items=(
                    Item("Tasdiqlangan reglamentlarni har bir ishchi guruh a'zolariga yuborish", person="office",
                         status=DONE, due=10, done=6),
                ),
            ),
            DecisionRow(
                "Ma'lumot yig'ish reglamentini tasdiqlash",
                "Oylik ko'rsatkichlar keyingi oyning 10-sanasigacha topshiriladi; oy muddatdan 15 kun o'tgach "
                "qulflanadi.",
                votes=(7, 1, 0), kind=STRATEGIC, approves=("data_collection",),
                items=(
                    Item("Oylik hisobot shablonini joriy etish va barcha korxonalarning buxgalterlarini o'qitish",
                         person="n.rahimova", status=DONE, due=40, done=52),
                    Item("Yetakchi korxonaning ERP tizimini oylik ma'lumotlar uchun platformaga ulash",
                         person="s.ismoilov", status=DONE, due=60, done=55),
                ),
            ),
        ),
    ),
    MeetingRow(
        "logistics", -285, "Logistika ishchi guruhi: yetkazib berish yo'nalishlari",
        ("Fermer xo'jaliklaridan ikkita paxta tozalash korxonasigacha yo'nalishlar",
         "Paxta tozalash korxonalarida kutish vaqti"),
        "Guruh terim mavsumi yakunlarini ko'rib chiqdi: yuk mashinalari paxta tozalash korxonalarida ikki "
        "kungacha navbat kutgan. Umumiy transportni rejalashtirishdan oldin barcha yetkazib berish "
        "yo'nalishlarini xaritaga tushirishga qaror qilindi.",
        absent=("sh.qurbonov",), time=datetime.time(15, 0), location="«Buxoro Trans Logistik» MChJ",
        decisions=(
            DecisionRow(
                "Fermer xo'jaliklaridan paxta tozalash korxonalarigacha paxta xomashyosini yetkazib berish "
                "yo'nalishlarini xaritaga tushirish",
                "Har bir shartnomaviy fermer xo'jaligi bo'yicha masofa, qatnov vaqti va kutish vaqti yig'iladi.",
                items=(
                    Item("Barcha shartnomaviy fermer xo'jaliklaridan yetkazib berish masofalari va qatnov vaqtlarini "
                         "yig'ish", person="d.bozorov", status=DONE, due=30, done=41),
                ),
            ),
        ),
    ),
    MeetingRow(
        "quality", -275, "Sifat ishchi guruhi: nuqson darajasining boshlang'ich ko'rsatkichi",
        ("Korxonalar bo'yicha nuqson darajasi", "Nuqsonlarning yagona tasnifi"),
        "Har bir korxonada nuqson darajasi turlicha o'lchanadi. Guruh ip, mato va tikuv mahsulotlari uchun "
        "yagona tasnif asosida boshlang'ich ko'rsatkichni o'lchashga kelishib oldi.",
        time=datetime.time(15, 0), location="«Buxoro Sifat Laboratoriyasi» MChJ",
        decisions=(
            DecisionRow(
                "Har bir qayta ishlash korxonasida nuqson darajasining boshlang'ich ko'rsatkichini o'lchash",
                "Boshlang'ich ko'rsatkich yagona tasnif bo'yicha uch oy davomida o'lchanadi.",
                items=(
                    Item("Ip, mato va tikuv mahsulotlari uchun nuqsonlarning yagona tasnifini kelishish", person="wg",
                         status=DONE, due=30, done=27),
                ),
            ),
        ),
    ),
    MeetingRow(
        "office", -270, "Ofis yig'ilishi: birinchi hisobot oyi",
        ("Birinchi oy ma'lumotlarining to'liqligi", "Hisoboti to'liq bo'lmagan fermer xo'jaliklari"),
        "Birinchi hisobotlarda sakkizta fermer xo'jaligi ko'rsatkichlarni to'liq bermagan. Ofis ularni "
        "tushuntirish bilan qaytardi.",
        absent=("s.ismoilov",), time=datetime.time(9, 0), location=OFFICE_ROOM,
        decisions=(
            DecisionRow(
                "Sakkizta fermer xo'jaligining to'liq bo'lmagan hisobotlarini tuzatish uchun qaytarish",
                "Ofis hisobotlarni yetishmayotgan ko'rsatkichlarni ko'rsatgan holda qaytaradi.",
                items=(
                    Item("Hisoboti to'liq bo'lmagan sakkizta fermer xo'jaligiga borib, ko'rsatkichlarni tuzatishda "
                         "yordam berish", person="n.rahimova", status=DONE, due=14, done=25),
                ),
            ),
        ),
    ),
    MeetingRow(
        "skills", -260, "Kadrlar ishchi guruhi: malakali kadrlar yetishmovchiligi",
        ("Tikuv va trikotaj korxonalaridagi bo'sh ish o'rinlari", "To'qimachilik texnikumi bilan hamkorlik"),
        "Tikuv va trikotaj korxonalari mashina operatorlari va ta'mirlovchi mexaniklar yetishmasligini "
        "bildirmoqda.",
        time=datetime.time(14, 0), location="Buxoro yengil sanoat texnikumi",
        decisions=(
            DecisionRow(
                "Tikuv va trikotaj korxonalarida malakali kadrlar yetishmovchiligini o'rganish",
                "O'n ikkita korxonada bo'sh ish o'rinlari va o'qitish ehtiyojlari bo'yicha qisqa so'rovnoma.",
                items=(
                    Item("O'n ikkita korxonada kadrlar yetishmovchiligi bo'yicha so'rovnoma o'tkazish", group="skills",
                         status=DONE, due=45, done=40),
                ),
            ),
        ),
    ),
    MeetingRow(
        "innovation", -230, "Innovatsiya ishchi guruhi: g'o'za navlari sinovi",
        ("Tezpishar g'o'za navlari", "Tajriba maydonlari"),
        "Tajriba stansiyasi ikkita tezpishar, uzun tolali g'o'za navini 50 gektar maydonda sinashni taklif qildi.",
        absent=("j.usmonov",), time=datetime.time(14, 0),
        location="Paxtachilik ilmiy-tadqiqot instituti Buxoro tajriba stansiyasi",
        decisions=(
            DecisionRow(
                "Tajriba stansiyasi bilan 50 gektarda g'o'za navlari sinovini tayyorlash",
                "Ikki nav beshta shartnomaviy fermer xo'jaligining maydonlarida sinovdan o'tkaziladi.",
                items=(
                    Item("G'o'za navlari sinovi uchun beshta fermer xo'jaligini tanlash", person="d.xasanov",
                         status=DONE, due=60, done=45),
                ),
            ),
        ),
    ),
    MeetingRow(
        "council", -215, QUICK_WINS_MEETING,
        ("Tez natija beradigan loyihalarni tanlash", "A'zolik badali", "Yo'l xaritasi 1-bosqichining natijalari"),
        "Kengash tez natija beradigan to'rtta loyihani tanladi. A'zolik badalini oshirish taklifi qabul "
        "qilinmadi. Organlar tuzilgani, reglamentlar tasdiqlangani va loyihalar tanlangani bilan 1-bosqich "
        "yakunlandi.",
        absent=("j.usmonov", "z.mirzayeva"), location=COUNCIL_ROOM,
        decisions=(
            DecisionRow(
                "1-bosqich uchun tez natija beradigan to'rtta loyihani tanlash",
                "1. Umumiy laboratoriyada tolani HVI usulida birgalikda sinash. 2. Ip jo'natmalarini Kogon "
                "terminali orqali birlashtirib, temir yo'lda jo'natish. 3. To'qimachilik texnikumi bilan tikuv "
                "mashinasi operatorlarini dual ta'lim asosida tayyorlash. 4. Trikotaj va tikuv korxonalariga "
                "OEKO-TEX Standard 100 sertifikatini olishda ko'maklashish.",
                kind=STRATEGIC,
                items=(
                    Item("To'rtta loyiha bo'yicha loyiha pasportlarini (byudjet, samara, bosqich nuqtalari) tayyorlash",
                         person="s.ismoilov", status=DONE, due=30, done=28),
                    Item("Umumiy laboratoriyada tolani HVI usulida birgalikda sinashni yo'lga qo'yish", group="quality",
                         status=DONE, due=120, done_t=-70),
                ),
            ),
            DecisionRow("Yillik a'zolik badalini 50 foizga oshirish",
                        "Umumiy xizmatlar markazini moliyalashtirish uchun ofis tomonidan taklif qilingan.",
                        votes=(3, 3, 1), kind=STRATEGIC),
            DecisionRow(
                "1-bosqich yakunlanganini tasdiqlash va 2-bosqichni (ishga tushirish va barqarorlashtirish) boshlash",
                "1-bosqichdan o'tish mezonlari bajarildi.", votes=(6, 0, 1), kind=STRATEGIC,
                items=(
                    Item("2-bosqichning ish rejasini tayyorlash", person="office", status=DONE, due=20, done=15),
                ),
            ),
        ),
    ),
    MeetingRow(
        "office", -200, "Ofis yig'ilishi: umumiy xizmatlar katalogi",
        ("Ishtirokchilarga taklif etiladigan xizmatlar", "Laboratoriya sinovlarining narxlari"),
        "Ofis umumiy xizmatlarning birinchi katalogini tuzdi.",
        time=datetime.time(9, 0), location=OFFICE_ROOM,
        decisions=(
            DecisionRow(
                "Umumiy xizmatlar katalogini e'lon qilish",
                "Laboratoriya sinovlari, sertifikatlashda ko'maklashish, logistika va o'qitish xizmatlari "
                "ishtirokchilar uchun narxlari bilan.",
                items=(
                    Item("Laboratoriya sinovlarining narxlarini «Buxoro Sifat Laboratoriyasi» MChJ bilan kelishish",
                         person="s.ismoilov", status=DONE, due=30, done=21),
                ),
            ),
        ),
    ),
    MeetingRow(
        "export", -170, "Eksport ishchi guruhi: xorijiy xaridorlar",
        ("Yevropa Ittifoqi va MDH mamlakatlaridagi xaridorlar", "Mahsulotlarning umumiy katalogi"),
        "Besh a'zodan faqat ikkitasi keldi: kvorum bo'lmadi, qaror qabul qilinmadi. Masalalar navbatdagi "
        "yig'ilishga o'tkaziladi.",
        absent=("s.qodirova", "i.yoldoshev", "f.abdurahmonova"), time=datetime.time(15, 0),
        location="«Buxoro Tekstil Eksport» MChJ",
    ),
    MeetingRow(
        "office", -150, "Ofis yig'ilishi: temir yo'l jo'natmalarini birlashtirish",
        ("Ip jo'natmalarini birlashtirish", "Dizel yoqilg'isini birgalikda xarid qilish"),
        "Uchta yigiruv fabrikasi ipni to'liq bo'lmagan partiyalarda jo'natmoqda. Ofis ularni Kogon terminali "
        "orqali birlashtirishni taklif qildi.",
        time=datetime.time(9, 0), location=OFFICE_ROOM,
        decisions=(
            DecisionRow(
                "Uchta yigiruv fabrikasining ip jo'natmalarini Kogon terminali orqali birlashtirish",
                "Kuzgi mavsumdan boshlab jo'natmalar to'liq vagonlarga birlashtiriladi.",
                items=(
                    Item("Kuzgi mavsum uchun birlashtirilgan jo'natmalar jadvalini tayyorlash", group="logistics",
                         status=DONE, due=45, done=40),
                    Item("Terim mavsumi uchun dizel yoqilg'isini birgalikda xarid qilish bo'yicha narx takliflarini "
                         "yig'ish", person="s.ismoilov", status=CANCELLED, due=30,
                         description="Bekor qilindi: fermer xo'jaliklari yoqilg'ini davlat taqsimoti bo'yicha oladi."),
                ),
            ),
        ),
    ),
    MeetingRow(
        "council", -125, "Kengash yig'ilishi: 2-bosqichning yarim yili",
        ("Ofis hisoboti", "Ofis reglamentining yangi tahriri", "Dual ta'lim dasturi",
         "Umumiy laboratoriyani birgalikda moliyalashtirish"),
        "Ofis tez natija beradigan loyihalar bo'yicha hisobot berdi. Kengash ofis reglamentini umumiy xizmatlar "
        "markazini ham qamrab oladigan qilib qayta ko'rib chiqdi, dual ta'lim dasturini tasdiqladi va "
        "investordan umumiy laboratoriyani birgalikda moliyalashtirishni so'radi.",
        absent=("g.sharipova",), location=COUNCIL_ROOM,
        decisions=(
            DecisionRow("Ofis reglamentining yangi tahririni (2-versiya) tasdiqlash",
                        "Ofis umumiy xizmatlar markazini ham yuritadi va kengashga har oy KPI bo'yicha "
                        "ma'lumotnoma yuboradi.", kind=STRATEGIC, approves=("office_v2",)),
            DecisionRow(
                "To'qimachilik texnikumi bilan dual ta'lim dasturini tasdiqlash",
                "Talabalar haftada uch kun korxonalarda bo'ladi; birinchi guruhda 40 nafar talaba.",
                votes=(7, 0, 1), kind=STRATEGIC,
                items=(
                    Item("Beshta tikuv va trikotaj korxonasi bilan dual ta'lim shartnomalarini imzolash",
                         group="skills", status=IN_PROGRESS, due_t=-65,
                         description="Besh shartnomadan uchtasi imzolandi."),
                    Item("Tikuv mashinasi operatorlarining 40 kishilik birinchi guruhini qabul qilish",
                         person="z.mirzayeva", status=DONE, due_t=-40, done_t=-45),
                ),
            ),
            DecisionRow(
                "«Zarafshon Invest» AJdan umumiy laboratoriyani birgalikda moliyalashtirishni so'rash",
                "Klaster laboratoriya uskunalari qiymatining 40 foizini moliyalashtirishni so'raydi.",
                votes=(6, 1, 1), kind=STRATEGIC,
                items=(
                    Item("Umumiy laboratoriya bo'yicha investitsiya memorandumini tayyorlash", person="j.usmonov",
                         due_t=-95),
                ),
            ),
        ),
    ),
    MeetingRow(
        "quality", -110, "Sifat ishchi guruhi: OEKO-TEX sertifikatlash",
        ("Trikotaj va tikuv mahsulotlarini sertifikatlash", "Umumiy laboratoriyaning HVI liniyasi"),
        "Yevropa Ittifoqidagi xaridorlar OEKO-TEX Standard 100 sertifikatini talab qilmoqda. Uchta korxona "
        "ishni boshlashga tayyor.",
        absent=("m.tosheva",), time=datetime.time(15, 0), location="«Buxoro Sifat Laboratoriyasi» MChJ",
        decisions=(
            DecisionRow(
                "Uchta trikotaj va tikuv korxonasida OEKO-TEX Standard 100 bo'yicha sertifikatlashni boshlash",
                "«Buxoro Trikotaj», «Buxoro Moda Tikuv» va «Shofirkon Tikuv» ofis ko'magida ishni boshlaydi.",
                items=(
                    Item("Uchta korxonaning sertifikatlash hujjatlari to'plamini tayyorlash", group="quality",
                         status=IN_PROGRESS, due_t=-20),
                    Item("HVI liniyasini kalibrlash va laboratoriyalararo taqqoslash o'tkazish", person="l.normurodov",
                         due_t=-50),
                ),
            ),
        ),
    ),
    MeetingRow(
        "office", -90, "Ofis yig'ilishi: kengashga choraklik hisobot",
        ("Choraklik KPI hisoboti", "Yetishmayotgan choraklik ma'lumotlar"),
        "Choraklik hisobot tayyor, faqat to'rtta qayta ishlash korxonasining ma'lumotlari to'liq emas.",
        time=datetime.time(9, 0), location=OFFICE_ROOM,
        decisions=(
            DecisionRow(
                "Kengash uchun choraklik KPI hisobotini tasdiqlash",
                "Hisobot ma'lumotlarning to'liqligi haqidagi izoh bilan kengashga yuboriladi.",
                items=(
                    Item("To'rtta qayta ishlash korxonasining yetishmayotgan choraklik ma'lumotlarini olish",
                         person="n.rahimova", status=IN_PROGRESS, due_t=-75),
                ),
            ),
        ),
    ),
    MeetingRow(
        "logistics", -75, "Logistika ishchi guruhi: umumiy transport jadvali",
        ("Paxta tozalash korxonalariga haftalik transport jadvali", "Temir yo'l vagonlari tariflari"),
        "Birlashtirilgan jo'natmalar yo'lga qo'yildi; fermer xo'jaliklari terim mavsumi uchun oldindan ma'lum "
        "jadval so'ramoqda.",
        absent=("u.hakimov",), time=datetime.time(15, 0), location="«Buxoro Trans Logistik» MChJ",
        decisions=(
            DecisionRow(
                "Paxta tozalash korxonalariga yetkazib berish uchun haftalik umumiy transport jadvalini joriy etish",
                "Fermer xo'jaliklari navbatni bir hafta oldin band qiladi; yuk mashinalari qo'shni xo'jaliklar "
                "o'rtasida birgalikda ishlatiladi.",
                items=(
                    Item("Haftalik transport jadvalini fermer xo'jaliklariga e'lon qilish", group="logistics",
                         status=DONE, due_t=-45, done_t=-38),
                    Item("Terminal bilan temir yo'l vagonlari uchun hajmga qarab chegirma bo'yicha kelishish",
                         person="u.hakimov", status=IN_PROGRESS, due_t=25),
                ),
            ),
        ),
    ),
    MeetingRow(
        "export", -50, "Eksport ishchi guruhi: mahsulotlarning umumiy katalogi",
        ("Mahsulotlarning umumiy katalogi", "Ko'rgazma-yarmarkalar"),
        "Guruh kvorum bo'lmagani sababli qoldirilgan masalalarni ko'rib chiqdi va umumiy katalog bo'yicha "
        "kelishib oldi.",
        absent=("i.yoldoshev",), time=datetime.time(15, 0), location="«Buxoro Tekstil Eksport» MChJ",
        decisions=(
            DecisionRow(
                "Xorijiy xaridorlar uchun trikotaj va tikuv mahsulotlarining umumiy katalogini tayyorlash",
                "Sakkizta korxona ishtirok etadi; katalog o'zbek, ingliz va rus tillarida bo'ladi.",
                items=(
                    Item("Sakkizta korxona mahsulotlarini suratga olish va tavsiflash", person="s.qodirova",
                         due_t=14),
                    Item("Katalogni ingliz va rus tillariga tarjima qilish", group="export", due_t=-5),
                ),
            ),
        ),
    ),
    MeetingRow(
        "council", -40, "Kengash yig'ilishi: KPI tahlili va eksport rejasi",
        ("O'tgan chorak KPI ko'rsatkichlari tahlili", "Eksportni diversifikatsiya qilish rejasi",
         "Hisobot intizomi"),
        "Nuqson darajasi pasaydi, ammo eksport o'sishi maqsaddan past. Oltita korxona ketma-ket ikki marta "
        "hisobotni kechiktirib topshirdi.",
        absent=("j.usmonov", "q.nurmatov"), location=COUNCIL_ROOM,
        decisions=(
            DecisionRow(
                "Yevropa Ittifoqi va MDH bozorlari uchun eksportni diversifikatsiya qilish rejasini qabul qilish",
                "Maqsadlar: Yevropa Ittifoqidan ikkita yangi xaridor va milliy to'qimachilik ko'rgazmasida umumiy "
                "stend.",
                kind=STRATEGIC,
                items=(
                    Item("Toshkentdagi milliy to'qimachilik ko'rgazmasida umumiy stend tashkil etish", group="export",
                         status=IN_PROGRESS, due_t=35),
                    Item("Trikotaj kiyimlar bo'yicha Yevropa Ittifoqidan uchta xaridorni saralab olish",
                         person="g.sharipova", due_t=-10),
                ),
            ),
            DecisionRow(
                "Umumiy xizmatlar navbatidagi ustuvorlikni hisobotni o'z vaqtida topshirishga bog'lash",
                "Hisobotni muddatdan keyin topshirgan korxonalar keyingi chorakda navbatdagi ustuvorligini "
                "yo'qotadi.",
                votes=(6, 0, 1), kind=STRATEGIC,
                items=(
                    Item("Ketma-ket ikki marta hisobotni kechiktirgan oltita korxonaga yozma eslatma yuborish",
                         person="n.rahimova", status=DONE, due_t=-30, done_t=-33),
                    Item("Hisobot intizomiga bog'langan rag'batlantirish paketlari qoidalarini taklif qilish",
                         person="office", due_t=20),
                ),
            ),
        ),
    ),
    MeetingRow(
        "quality", -30, "Sifat ishchi guruhi: kelib tushgan toladan namuna olish",
        ("Kelib tushgan toladan namuna olish rejasi", "Sertifikatlash ishlarining borishi"),
        "Paxta tozalash korxonalari kelib tushgan paxtadan turlicha namuna oladi. Guruh yagona namuna olish "
        "rejasini tasdiqladi.",
        absent=("a.polatov",), time=datetime.time(15, 0), location="«Buxoro Sifat Laboratoriyasi» MChJ",
        decisions=(
            DecisionRow(
                "Paxta tozalash korxonalarida kelib tushgan toladan namuna olish rejasini tasdiqlash",
                "Har 10 tonnadan bitta namuna olinadi va umumiy laboratoriyada sinovdan o'tkaziladi.",
                items=(
                    Item("Paxta tozalash korxonalarining laboratoriya xodimlarini namuna olish rejasi bo'yicha "
                         "o'qitish", person="wg", due_t=12),
                ),
            ),
        ),
    ),
    MeetingRow(
        "office", -21, "Ofis yig'ilishi: kengashning navbatdagi yig'ilishiga tayyorgarlik",
        ("Kengash navbatdagi yig'ilishining kun tartibi", "Qaror qabul qilish tartibi loyihasi, 2-versiya"),
        "Ofis kengash navbatdagi yig'ilishining kun tartibini hamda shoshilinch hollarda yozma ovoz berishga "
        "imkon beradigan qaror qabul qilish tartibining yangi tahririni tayyorladi.",
        absent=("n.rahimova",), time=datetime.time(9, 0), location=OFFICE_ROOM,
        decisions=(
            DecisionRow(
                "Qaror qabul qilish tartibi loyihasini (2-versiya) kengashning navbatdagi yig'ilishiga kiritish",
                "Loyiha kun tartibi bilan birga kengash a'zolariga yuboriladi.",
                items=(
                    Item("Qaror qabul qilish tartibi loyihasini kengash a'zolariga yuborish", person="office",
                         due_t=7),
                ),
            ),
        ),
    ),
    # Planned: their agendas also get the open action items of the body (services.meeting_save).
    MeetingRow(
        "quality", 10, "Sifat ishchi guruhi: sertifikatlash va nuqson darajasi",
        ("OEKO-TEX sertifikatlash hujjatlarining tayyorlanish holati",
         "O'tgan chorakdagi nuqson darajasi qiymat zanjiri bo'g'inlari bo'yicha",
         "Namuna olish rejasi: paxta tozalash korxonalaridagi dastlabki natijalar"),
        "", time=datetime.time(15, 0), location="«Buxoro Sifat Laboratoriyasi» MChJ",
    ),
    MeetingRow(
        "council", 24, "Kengash yig'ilishi: qarorlar ijrosi va qaror qabul qilish tartibi",
        ("Kengash qarorlarining ijrosi", "Qaror qabul qilish tartibi loyihasi, 2-versiya",
         "Eksportni diversifikatsiya qilish rejasi: dastlabki natijalar",
         "Hisobot intizomiga bog'langan rag'batlantirish qoidalari"),
        "", location=COUNCIL_ROOM,
    ),
)  # fmt: skip

# --- Responsibility matrix ------------------------------------------------------------------------

D, E, C = Responsibility.DECIDES, Responsibility.EXECUTES, Responsibility.CONSULTED
_ALL_GROUPS_CONSULTED = {"logistics": C, "quality": C, "skills": C, "innovation": C, "export": C}
MATRIX: dict[str, dict[str, str]] = {
    MatrixArea.STRATEGY: {"council": D, "office": E, "innovation": C, "export": C},
    MatrixArea.DATA_COLLECTION: {"council": D, "office": E, **_ALL_GROUPS_CONSULTED},
    MatrixArea.PORTFOLIO: {"council": D, "office": E, **_ALL_GROUPS_CONSULTED},
    MatrixArea.LOGISTICS: {"office": D, "logistics": E, "export": C},
    MatrixArea.QUALITY: {"office": D, "quality": E, "innovation": C, "export": C},
    MatrixArea.SKILLS: {"office": D, "skills": E, "innovation": C},
    MatrixArea.INNOVATION: {"council": D, "innovation": E, "office": C, "quality": C},
    MatrixArea.EXPORT: {"council": D, "export": E, "office": C, "logistics": C, "quality": C},
}

# --- Loading --------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    cluster: Cluster
    created: bool  # False when the demo cluster was already there
    accounts_created: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    extensions: dict[str, dict[str, int]] = field(default_factory=dict)  # what each later app added


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The first day of the month `months` months before `day`'s month."""
    index = day.year * 12 + day.month - 1 - months
    return datetime.date(index // 12, index % 12 + 1, 1)


def _weekday(day: datetime.date, step: int) -> datetime.date:
    while day.weekday() >= 5:
        day += datetime.timedelta(days=step)
    return day


def _aware(day: datetime.date, time: datetime.time = datetime.time(9, 0)) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, time))


def _extensions() -> list[tuple[str, Callable[..., dict[str, int]]]]:
    """The parts of the other apps, in the order of the layers: each loads what it lacks and returns its counts (all
    zero when it had everything already)."""
    from .incentives import load_incentives_demo
    from .kpi import load_kpi_demo
    from .portfolio import load_portfolio_demo
    from .roadmap import load_roadmap_demo

    return [
        ("kpi", load_kpi_demo),
        ("portfolio", load_portfolio_demo),
        ("incentives", load_incentives_demo),
        ("roadmap", load_roadmap_demo),
    ]


def load_demo(*, today: datetime.date | None = None) -> LoadResult:
    """Load the demo cluster unless it exists; in both cases make sure the demo accounts exist.

    The parts of the other apps run every time: each adds its part only when it is missing, so an installation
    that gained an app since its demo was loaded gets that app's demo data too.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        cluster = Cluster.objects.filter(name=CLUSTER_NAME).first()
        if cluster is not None:
            result = LoadResult(cluster=cluster, created=False, accounts_created=_ensure_demo_accounts(cluster))
        else:
            cluster = _Loader(today).load()
            result = LoadResult(cluster=cluster, created=True, counts=demo_counts(cluster, today))
        for name, load in _extensions():
            result.extensions[name] = load(cluster=cluster, today=today)
        return result


def demo_counts(cluster: Cluster, today: datetime.date | None = None) -> dict[str, int]:
    meetings = Meeting.objects.filter(body__cluster=cluster)
    items = ActionItem.objects.filter(cluster=cluster)
    return {
        "enterprises": cluster.enterprises.count(),
        "people": get_user_model().objects.filter(cluster_roles__cluster=cluster).distinct().count(),
        "bodies": cluster.bodies.count(),
        "regulations": cluster.regulations.count(),
        "meetings": meetings.count(),
        "decisions": Decision.objects.filter(meeting__body__cluster=cluster).count(),
        "action_items": items.count(),
        "overdue": items.overdue(today).count(),
    }


def _ensure_demo_accounts(cluster: Cluster) -> list[str]:
    """Recreate any demo account that was deleted; existing accounts are left exactly as they are."""
    User = get_user_model()
    people = {p.username: p for p in PEOPLE}
    existing = set(
        User.objects.filter(username__in=[d.username for d in DEMO_LOGINS]).values_list("username", flat=True)
    )
    missing = [d for d in DEMO_LOGINS if d.username not in existing]
    if not missing:
        return []
    password = make_password(DEMO_PASSWORD)
    farm = cluster.enterprises.filter(taxpayer_id=DEMO_FARM_TAXPAYER_ID).first()
    for login in missing:
        user = _new_user(people[login.username], password, timezone.now())
        if not login.grant:
            continue
        if login.grant == Role.ENTERPRISE:
            if farm is not None:
                services.cluster_role_grant(user=user, cluster=cluster, role=Role.ENTERPRISE, enterprises=[farm])
        else:
            services.cluster_role_grant(user=user, cluster=cluster, role=login.grant)
    return [login.username for login in missing]


def _new_user(person: PersonRow, password: str, joined: datetime.datetime):
    User = get_user_model()
    is_admin = person.username == "admin"
    user = User(
        username=person.username,
        first_name=person.first_name,
        last_name=person.last_name,
        email=person.email,
        password=password,
        is_staff=is_admin,
        is_superuser=is_admin,
        date_joined=joined,
    )
    user.save()
    return user


class _Loader:
    """Builds the demo cluster in order: enterprises, people, bodies, meetings, regulations, matrix."""

    def __init__(self, today: datetime.date):
        self.today = today
        self.start = months_before(today, CLUSTER_MONTHS)
        self.users: dict[str, User] = {}
        self.enterprises: dict[str, Enterprise] = {}
        self.bodies: dict[str, Body] = {}
        self.regulations: dict[str, Regulation] = {}
        self.meetings: list[tuple[Meeting, MeetingRow]] = []
        self.items: list[tuple[ActionItem, Meeting]] = []
        self.decisions: list[Decision] = []

    def day(self, offset: int) -> datetime.date:
        return self.today + datetime.timedelta(days=offset)

    def load(self) -> Cluster:
        self.cluster = Cluster(
            name=CLUSTER_NAME,
            sector="Paxta-to'qimachilik",
            region="Buxoro viloyati",
            start_date=self.start,
            currency="UZS",
            time_zone="Asia/Tashkent",
        )
        services.cluster_save(cluster=self.cluster)
        self._enterprises()
        self._people()
        self._bodies()
        for row in sorted(MEETINGS, key=lambda m: m.day):
            self._meeting(row)
        self._drafts()
        self._past_follow_ups()
        services.responsibility_matrix_save(
            cluster=self.cluster,
            cells={
                (area, self.bodies[key].pk): value for area, cells in MATRIX.items() for key, value in cells.items()
            },
        )
        self._backdate()
        return self.cluster

    # -- participants and people

    def _enterprises(self) -> None:
        for row in ENTERPRISES:
            digits = row.taxpayer_id
            enterprise = Enterprise(
                cluster=self.cluster,
                name=row.name,
                taxpayer_id=row.taxpayer_id,
                kind=row.kind,
                value_chain_link=row.link,
                status=row.status,
                joined_on=self.start + datetime.timedelta(days=row.joined),
                address=row.address,
                contact_email=row.email,
                phone=f"+998 65 2{digits[4:6]}-{digits[6:8]}-{digits[7:9]}",
            )
            enterprise.full_clean()
            enterprise.save()
            self.enterprises[row.taxpayer_id] = enterprise
        self.cluster.leading_enterprise = self.enterprises[LEADING_TAXPAYER_ID]
        self.cluster.full_clean()
        self.cluster.save(update_fields=["leading_enterprise"])

    def _people(self) -> None:
        User = get_user_model()
        existing = {u.username: u for u in User.objects.filter(username__in=[p.username for p in PEOPLE])}
        password = make_password(DEMO_PASSWORD)  # hashed once: hashing is the slow part of creating users
        joined = _aware(self.day(-410))
        for person in PEOPLE:
            self.users[person.username] = existing.get(person.username) or _new_user(person, password, joined)
        farm = self.enterprises[DEMO_FARM_TAXPAYER_ID]
        services.cluster_role_grant(
            user=self.users["enterprise"], cluster=self.cluster, role=Role.ENTERPRISE, enterprises=[farm]
        )
        for username, taxpayer_id in FARM_ACCOUNTANTS:
            services.cluster_role_grant(
                user=self.users[username],
                cluster=self.cluster,
                role=Role.ENTERPRISE,
                enterprises=[self.enterprises[taxpayer_id]],
            )
        services.cluster_role_grant(user=self.users["viewer"], cluster=self.cluster, role=Role.VIEWER)

    def _bodies(self) -> None:
        for row in BODIES:
            body = Body(
                cluster=self.cluster,
                kind=row.kind,
                name=row.name,
                area=row.area,
                description=row.description,
                established_on=self.day(row.established),
            )
            body.full_clean()
            body.save()
            self.bodies[row.key] = body
        for seat in SEATS:
            body = self.bodies[seat.body]
            assert body.established_on is not None  # every demo body has its date (_bodies above)
            services.membership_save(
                membership=Membership(
                    body=body,
                    person=self.users[seat.username],
                    enterprise=self.enterprises[seat.enterprise] if seat.enterprise else None,
                    role=seat.role,
                    start_date=self.day(seat.start) if seat.start is not None else body.established_on,
                    end_date=self.day(seat.end) if seat.end is not None else None,
                )
            )
        ClusterRole.objects.filter(cluster=self.cluster, user__username__in=LEFT_PEOPLE).update(is_active=False)

    # -- meetings

    def _meeting(self, row: MeetingRow) -> None:
        body = self.bodies[row.body]
        planned = row.day > 0
        date = _weekday(self.day(row.day), 1 if planned else -1)
        meeting = Meeting(
            body=body,
            title=row.title,
            date=date,
            time=row.time,
            location=row.location,
            status=MeetingStatus.PLANNED if planned else MeetingStatus.HELD,
            quorum_rule=QuorumRule.TWO_THIRDS if body.kind == BodyKind.COUNCIL else QuorumRule.MAJORITY,
        )
        services.meeting_save(meeting=meeting, agenda=row.agenda)
        self.meetings.append((meeting, row))
        if planned:
            return
        members = list(
            Membership.objects.filter(body=body, start_date__lte=date)
            .exclude(end_date__lt=date)
            .select_related("person")
            .order_by("person__last_name")
        )
        absent = {self.users[username].pk for username in row.absent}
        services.meeting_record_attendance(
            meeting=meeting, present_ids=[m.person_id for m in members if m.person_id not in absent]
        )
        decisions = [self._decision(meeting, d) for d in row.decisions]
        meeting.minutes = self._minutes(meeting, row, members, absent, decisions)
        meeting.save(update_fields=["minutes"])

    def _decision(self, meeting: Meeting, row: DecisionRow) -> Decision:
        present = meeting.attendances.filter(present=True).count()
        votes_for, against, abstain = row.votes or (present, 0, 0)
        decision = Decision(
            meeting=meeting,
            title=row.title.format(year=meeting.date.year, year_plus_2=meeting.date.year + 2),
            text=row.text,
            kind=row.kind,
            votes_for=votes_for,
            votes_against=against,
            votes_abstain=abstain,
        )
        items = [self._item(meeting, spec) for spec in row.items]
        services.decision_save(decision=decision, action_items=items)
        self.items.extend((item, meeting) for item in items)
        self.decisions.append(decision)
        for key in row.approves:
            self._approve(key, decision)
        return decision

    def _item(self, meeting: Meeting, spec: Item) -> ActionItem:
        def when(after_meeting, from_today):
            if after_meeting is not None:
                return meeting.date + datetime.timedelta(days=after_meeting)
            return self.day(from_today) if from_today is not None else None

        return ActionItem(
            cluster=self.cluster,
            title=spec.title,
            description=spec.description,
            owner_person=self.users[spec.person] if spec.person else None,
            owner_group=self.bodies[spec.group] if spec.group else None,
            deadline=when(spec.due, spec.due_t),
            status=spec.status,
            done_on=when(spec.done, spec.done_t) if spec.status == DONE else None,
        )

    def _approve(self, key: str, decision: Decision) -> None:
        row = next(r for r in REGULATIONS if r.key == key)
        regulation = Regulation(
            cluster=self.cluster,
            body=self.bodies[row.body] if row.body else None,
            kind=row.kind,
            title=row.title,
            version=row.version,
            text=row.text,
        )
        services.regulation_approve(regulation=regulation, decision=decision)
        self.regulations[key] = regulation

    def _drafts(self) -> None:
        for key in DRAFT_REGULATIONS:
            row = next(r for r in REGULATIONS if r.key == key)
            regulation = Regulation(
                cluster=self.cluster,
                body=self.bodies[row.body] if row.body else None,
                kind=row.kind,
                title=row.title,
                version=row.version,
                text=row.text,
                status=RegulationStatus.DRAFT,
            )
            regulation.full_clean()
            regulation.save()
            self.regulations[key] = regulation

    def _minutes(self, meeting, row: MeetingRow, members, absent: set[int], decisions: list[Decision]) -> str:
        def names(people):
            return ", ".join(m.person.get_full_name() for m in people) or "—"

        chair = next((m for m in members if m.role == MemberRole.CHAIR), None)
        quorum = meeting.quorum()
        lines = [row.summary, ""]
        if chair is not None:
            lines.append(f"Rais: {chair.person.get_full_name()}.")
        present = names(m for m in members if m.person_id not in absent)
        lines.append(f"Qatnashdi ({quorum.eligible} nafardan {quorum.present} nafari): {present}.")
        lines.append(f"Qatnashmadi: {names(m for m in members if m.person_id in absent)}.")
        if not quorum.met:
            lines.append(
                f"Kvorum yo'q ({quorum.required} nafar a'zo qatnashishi kerak edi): qaror qabul qilinmadi; kun "
                "tartibidagi masalalar navbatdagi yig'ilishga o'tkaziladi."
            )
        elif decisions:
            lines += ["", "Qarorlar:"]
            for d in decisions:
                lines.append(
                    f"- {d.number} {d.title}: {MINUTES_OUTCOMES[d.outcome]} "
                    f"({d.votes_for} yoqlab, {d.votes_against} qarshi, {d.votes_abstain} betaraf)."
                )
        return "\n".join(lines)

    def _past_follow_ups(self) -> None:
        """Held meetings reviewed the action items of their body that were still open at the time."""
        rows = []
        for meeting, row in self.meetings:
            if meeting.status != MeetingStatus.HELD:
                continue
            position = len(row.agenda)
            for item, origin in self.items:
                open_then = item.status != CANCELLED and (item.done_on is None or item.done_on >= meeting.date)
                if item.body_id == meeting.body_id and origin.date < meeting.date and open_then:
                    position += 1
                    rows.append(AgendaItem(meeting=meeting, position=position, title=item.title, action_item=item))
        AgendaItem.objects.bulk_create(rows)

    def _backdate(self) -> None:
        """Creation times as they would have been, so lists sorted by creation read naturally."""
        self.cluster.created_at = _aware(self.start)
        self.cluster.save(update_fields=["created_at"])
        held = [m for m, _row in self.meetings if m.status == MeetingStatus.HELD]
        for meeting in held:
            meeting.created_at = _aware(meeting.date - datetime.timedelta(days=10))
        Meeting.objects.bulk_update(held, ["created_at"])
        for decision in self.decisions:
            assert decision.meeting.time is not None  # every demo meeting has its time (MeetingRow)
            decision.created_at = _aware(decision.meeting.date, decision.meeting.time)
        Decision.objects.bulk_update(self.decisions, ["created_at"])
        for item, meeting in self.items:
            assert meeting.time is not None  # every demo meeting has its time (MeetingRow)
            item.created_at = _aware(meeting.date, meeting.time)
        ActionItem.objects.bulk_update([item for item, _m in self.items], ["created_at"])
        regulations = list(self.regulations.items())
        for key, regulation in regulations:
            written = regulation.effective_from or self.day(DRAFT_REGULATIONS.get(key, 0))
            regulation.created_at = _aware(written - datetime.timedelta(days=14 if regulation.effective_from else 0))
        Regulation.objects.bulk_update([r for _k, r in regulations], ["created_at"])
        first_seat: dict[int, datetime.date] = {}
        for membership in Membership.objects.filter(body__cluster=self.cluster):
            seen = first_seat.get(membership.person_id)
            first_seat[membership.person_id] = min(seen, membership.start_date) if seen else membership.start_date
        roles = list(ClusterRole.objects.filter(cluster=self.cluster))
        for role in roles:
            role.granted_at = _aware(first_seat.get(role.user_id, self.day(-400)))
        ClusterRole.objects.bulk_update(roles, ["granted_at"])
