"""The demo cluster that `manage.py load_demo` loads: a cotton–textile cluster in Bukhara region.

Everything is computed from today's date (the cluster started 14 months ago, some action items are
overdue whenever the demo is loaded) and nothing is random, so two loads on the same day give the same
data. Loading is idempotent: when the demo cluster already exists only missing demo accounts are
recreated, so running the command on every start adds nothing.

The data (names, titles, minutes) is data, not interface text: it is not translated.
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
)


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
    BodyRow("council", BodyKind.COUNCIL, "Klaster kengashi (Cluster council)", "", -410,
            "Strategic body of the cluster: nine seats for the leading enterprise, the supply, processing, "
            "service and innovation links, the investor and an independent chair."),
    BodyRow("office", BodyKind.OFFICE, "Klaster ofisi (Cluster office)", "", -410,
            "Daily coordination: participant registry, data-collection calendar, meetings, follow-up of "
            "action items, shared-services centre."),
    BodyRow("logistics", BodyKind.WORKING_GROUP, "Logistika ishchi guruhi (Logistics working group)",
            "logistics", -385,
            "Raw-cotton deliveries to the ginneries, shipments of fibre, yarn and garments, shared transport."),
    BodyRow("quality", BodyKind.WORKING_GROUP, "Sifat ishchi guruhi (Quality working group)", "quality", -385,
            "Quality of fibre, yarn, fabric and garments; the shared laboratory; standardisation and "
            "certification."),
    BodyRow("skills", BodyKind.WORKING_GROUP, "Kadrlar ishchi guruhi (Skills working group)", "skills", -385,
            "Training and retraining of workers, dual training with the textile college, HR planning."),
    BodyRow("innovation", BodyKind.WORKING_GROUP, "Innovatsiya ishchi guruhi (Innovation working group)",
            "innovation", -385,
            "Seed varieties, technology renewal and equipment modernisation with research partners."),
    BodyRow("export", BodyKind.WORKING_GROUP, "Eksport ishchi guruhi (Export working group)", "export", -385,
            "Export marketing, buyers and trade fairs, diversification of markets."),
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
    "logistics": ("raw-cotton deliveries to the ginneries, shipments of fibre, yarn and finished goods, "
                  "shared transport and storage", "LEAD, OTD, DOWNTIME"),
    "quality": ("the quality of fibre, yarn, fabric and garments, the shared laboratory, standardisation "
                "and certification", "DEFECT"),
    "skills": ("training and retraining of workers, dual training with the textile college and HR planning",
               "SKILLS, PROD"),
    "innovation": ("seed varieties, technology renewal, equipment modernisation and research with partners",
                   "VA, LOCAL"),
    "export": ("export marketing, buyers, trade fairs and the diversification of markets", "EXPORT, EXPGR, FPS"),
}  # fmt: skip


def _wg_regulation(area: str) -> RegulationRow:
    purpose, kpis = _WG_PURPOSE[area]
    text = (
        f"1. The working group works on {purpose}.\n"
        "2. Its chair is elected by the members and confirmed by the council; the office may appoint a "
        "secretary.\n"
        "3. The group meets at least once every two months. A meeting is quorate when more than half of the "
        "members are present; decisions are adopted by a majority of the members present.\n"
        f"4. The group owns the joint projects and the action items of its area and receives the KPI alerts "
        f"of its area ({kpis}).\n"
        "5. The group reports to the office every month and to the council every quarter."
    )
    return RegulationRow(f"wg_{area}", RegulationKind.WORKING_GROUP, area, "Working-group regulation", 1, text)


_OFFICE_V1 = (
    "1. The cluster office coordinates the cluster day to day: the participant registry, the "
    "data-collection calendar, the preparation of council and working-group meetings and the follow-up "
    "of action items.\n"
    "2. The office has a coordinator (head of the office), a data and monitoring specialist and a "
    "projects and services specialist.\n"
    "3. The office meets at least once a month; operational decisions are adopted by a majority of the "
    "members present.\n"
    "4. The office reports to the council at every council meeting."
)
_DECISION_PROCEDURE_V1 = (
    "1. Items for a council meeting reach the office at least ten days before the meeting; the agenda and "
    "the draft decisions are sent to the members seven days before.\n"
    "2. Open and overdue action items are put on the agenda of the next meeting of the body that follows "
    "them up.\n"
    "3. A decision is valid only at a quorate meeting. It is adopted by a majority of the members present; "
    "an abstention is not a vote in favour.\n"
    "4. Strategic decisions (strategy, portfolio, regulations, roadmap phases, incentive awards) are taken "
    "by the council; operational decisions by the office and the working groups within their regulations.\n"
    "5. Every decision that requires work spawns action items, each with one owner (a person or a working "
    "group) and a deadline. Execution discipline, the share of action items done by their deadline, is "
    "reported to the council every quarter."
)

REGULATIONS: tuple[RegulationRow, ...] = (
    RegulationRow(
        "council", RegulationKind.COUNCIL, "council", "Cluster council regulation", 1,
        "1. The cluster council is the strategic body of the cluster. It approves the development strategy, "
        "the collaboration portfolio, the regulations of the cluster and the moves between roadmap phases.\n"
        "2. The council has nine seats: the leading enterprise, representatives of the supply, processing, "
        "service and innovation links, the investor, the secretary from the office and an independent chair "
        "elected for two years.\n"
        "3. The council meets at least once a quarter. A meeting is quorate when at least two thirds of the "
        "members are present.\n"
        "4. Decisions are adopted by a majority of the members present and recorded with the votes for, "
        "against and abstentions.\n"
        "5. The office reports on the execution of the council's action items at every meeting.",
    ),
    RegulationRow("office_v1", RegulationKind.OFFICE, "office", "Cluster office regulation", 1, _OFFICE_V1),
    RegulationRow(
        "office_v2", RegulationKind.OFFICE, "office", "Cluster office regulation", 2,
        _OFFICE_V1 + "\n"
        "5. The office runs the shared-services centre: the catalogue of services, the queue of requests by "
        "priority and their turnaround times.\n"
        "6. The office sends the council a monthly KPI note within five working days after the lock date of "
        "the data-collection regulation.",
    ),
    RegulationRow(
        "decision_procedure_v1", RegulationKind.DECISION_PROCEDURE, "", "Decision procedure", 1,
        _DECISION_PROCEDURE_V1,
    ),
    RegulationRow(
        "decision_procedure_v2", RegulationKind.DECISION_PROCEDURE, "", "Decision procedure", 2,
        _DECISION_PROCEDURE_V1 + "\n"
        "6. In urgent cases the council may vote in writing (on the platform or by e-mail) within five working "
        "days; the decision is adopted when more than half of all members vote in favour.\n"
        "7. A member with a conflict of interest declares it and does not vote on that item.",
    ),
    RegulationRow(
        "data_collection", RegulationKind.DATA_COLLECTION, "", "Data-collection regulation", 1,
        "1. Every participant enterprise submits its monthly figures (the data elements of the cluster's "
        "KPIs) on the platform, through the form or the Excel template.\n"
        "2. Deadline: the figures for a month are submitted by the 10th day of the following month. A "
        "submission after the deadline counts as late.\n"
        "3. The office checks submissions within five working days and approves them or returns them with a "
        "reason; a returned submission is corrected and submitted again.\n"
        "4. Lock: 15 days after the deadline (on the 25th day of the following month) the month is locked. "
        "After the lock a value changes only by a correction approved by the office; every change is "
        "audited.\n"
        "5. An empty value means 'not reported'; a zero is reported as 0.\n"
        "6. Timely reporting is one of the eligibility rules of the incentive packages.",
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

MEETINGS: tuple[MeetingRow, ...] = (
    MeetingRow(
        "council", -395, "Inaugural meeting of the cluster council",
        ("Election of the council chair and secretary", "Council regulation", "Office regulation and office staff",
         "Decision procedure", "Working groups of the cluster"),
        "The founding participants elected Rustam Xolmatov chair of the council for two years and Nodira "
        "Rahimova secretary. The council adopted its own regulation, the office regulation and the decision "
        "procedure, and set up five working groups.",
        absent=("j.usmonov",), location=COUNCIL_ROOM,
        decisions=(
            DecisionRow("Approve the cluster council regulation",
                        "The council regulation is approved and takes effect today.",
                        kind=STRATEGIC, approves=("council",)),
            DecisionRow("Approve the office regulation and appoint the office coordinator",
                        "The office regulation is approved; Dilnoza Karimova is appointed coordinator of the "
                        "cluster office.", kind=STRATEGIC, approves=("office_v1",)),
            DecisionRow("Approve the decision procedure", "The decision procedure of the cluster is approved.",
                        votes=(7, 0, 1), kind=STRATEGIC, approves=("decision_procedure_v1",)),
            DecisionRow(
                "Form five working groups: logistics, quality, skills, innovation and export",
                "The working groups are formed; participants nominate members within three weeks.",
                kind=STRATEGIC,
                items=(
                    Item("Collect nominations and propose the members and chairs of the working groups",
                         person="office", status=DONE, due=21, done=18),
                    Item("Draft the working-group regulations", person="n.rahimova", status=DONE, due=45, done=58,
                         description="One common text adapted to the area of each group."),
                ),
            ),
        ),
    ),
    MeetingRow(
        "office", -380, "Office meeting: the participant registry",
        ("Registry of participants", "Contact persons of the enterprises"),
        "The office agreed how participants are registered: legal name, taxpayer id, type and value-chain "
        "link, with a contact person for every enterprise.",
        time=datetime.time(9, 0), location=OFFICE_ROOM,
        decisions=(
            DecisionRow(
                "Register all founding participants with taxpayer id and value-chain link",
                "Every founding enterprise is registered on the platform before the first reporting month.",
                items=(
                    Item("Collect the registration data of all founding enterprises", person="s.ismoilov",
                         status=DONE, due=30, done=26),
                ),
            ),
        ),
    ),
    MeetingRow(
        "office", -330, "Office meeting: the data-collection calendar",
        ("Data-collection calendar for the year", "Reporting template for the farms"),
        "The office prepared the data-collection calendar (deadline on the 10th, lock on the 25th) and a "
        "simplified template for the farms, to be approved by the council.",
        time=datetime.time(9, 0), location=OFFICE_ROOM,
        decisions=(
            DecisionRow(
                "Submit the draft data-collection regulation and calendar to the council",
                "The draft regulation goes to the next council meeting.",
                items=(
                    Item("Finish the draft data-collection regulation and the calendar of deadlines",
                         person="n.rahimova", status=DONE, due=21, done=17),
                ),
            ),
        ),
    ),
    MeetingRow(
        "council", -305, "Council meeting: development strategy and data collection",
        ("Development strategy of the cluster", "Working-group regulations", "Data-collection regulation"),
        "The council adopted the three-year development strategy (more finished product, stable quality, "
        "exports), the working-group regulations and the data-collection regulation.",
        absent=("q.nurmatov",), location=COUNCIL_ROOM,
        decisions=(
            DecisionRow(
                "Approve the development strategy of the cluster for {year}–{year_plus_2}",
                "Targets: finished-product share up from 38 % to 55 %, defect rate below 3 %, export revenue "
                "up by a half, every contracted farm reporting monthly.",
                votes=(7, 0, 1), kind=STRATEGIC,
                items=(
                    Item("Publish the strategy and brief all participant enterprises", person="office", status=DONE,
                         due=30, done=24),
                ),
            ),
            DecisionRow(
                "Approve the working-group regulations",
                "The regulations of the five working groups are approved.", kind=STRATEGIC,
                approves=("wg_logistics", "wg_quality", "wg_skills", "wg_innovation", "wg_export"),
                items=(
                    Item("Send the approved regulations to the members of every working group", person="office",
                         status=DONE, due=10, done=6),
                ),
            ),
            DecisionRow(
                "Approve the data-collection regulation",
                "Monthly figures are due by the 10th of the following month; the month is locked 15 days after "
                "the deadline.",
                votes=(7, 1, 0), kind=STRATEGIC, approves=("data_collection",),
                items=(
                    Item("Introduce the monthly reporting template and train the accountants of all enterprises",
                         person="n.rahimova", status=DONE, due=40, done=52),
                    Item("Connect the ERP of the leading enterprise to the platform for monthly data",
                         person="s.ismoilov", status=DONE, due=60, done=55),
                ),
            ),
        ),
    ),
    MeetingRow(
        "logistics", -285, "Logistics working group: delivery routes",
        ("Routes from the farms to the two ginneries", "Waiting times at the ginneries"),
        "The group reviewed the harvest season: trucks waited up to two days at the ginneries. It decided to "
        "map every delivery route before planning shared transport.",
        absent=("sh.qurbonov",), time=datetime.time(15, 0), location="«Buxoro Trans Logistik» MChJ",
        decisions=(
            DecisionRow(
                "Map the raw-cotton delivery routes from the farms to the ginneries",
                "Distances, trip times and waiting times are collected for every contracted farm.",
                items=(
                    Item("Collect delivery distances and trip times from all contracted farms", person="d.bozorov",
                         status=DONE, due=30, done=41),
                ),
            ),
        ),
    ),
    MeetingRow(
        "quality", -275, "Quality working group: defect-rate baseline",
        ("Defect rates by enterprise", "A common defect classification"),
        "Defect rates are measured differently at every enterprise. The group agreed to measure a baseline "
        "with one classification for yarn, fabric and garments.",
        time=datetime.time(15, 0), location="«Buxoro Sifat Laboratoriyasi» MChJ",
        decisions=(
            DecisionRow(
                "Measure the defect-rate baseline at every processing enterprise",
                "The baseline is measured over three months with a common classification.",
                items=(
                    Item("Agree a common defect classification for yarn, fabric and garments", person="wg",
                         status=DONE, due=30, done=27),
                ),
            ),
        ),
    ),
    MeetingRow(
        "office", -270, "Office meeting: the first reporting month",
        ("Completeness of the first month", "Farms with incomplete reports"),
        "Of the first reports, eight farms sent incomplete figures. The office returned them with explanations.",
        absent=("s.ismoilov",), time=datetime.time(9, 0), location=OFFICE_ROOM,
        decisions=(
            DecisionRow(
                "Return the incomplete reports of eight farms for correction",
                "The office returns the reports with the missing elements named.",
                items=(
                    Item("Visit the eight farms with incomplete reports and help them correct the figures",
                         person="n.rahimova", status=DONE, due=14, done=25),
                ),
            ),
        ),
    ),
    MeetingRow(
        "skills", -260, "Skills working group: skills gaps",
        ("Vacancies at the sewing and knitting enterprises", "Cooperation with the textile college"),
        "Sewing and knitting enterprises report a shortage of machine operators and maintenance mechanics.",
        time=datetime.time(14, 0), location="Buxoro yengil sanoat texnikumi",
        decisions=(
            DecisionRow(
                "Survey the skills gaps of the sewing and knitting enterprises",
                "A short survey of vacancies and training needs at twelve enterprises.",
                items=(
                    Item("Run the skills-gap survey at twelve enterprises", group="skills", status=DONE, due=45,
                         done=40),
                ),
            ),
        ),
    ),
    MeetingRow(
        "innovation", -230, "Innovation working group: seed-variety trial",
        ("Early-maturing cotton varieties", "Trial plots"),
        "The research station proposed a trial of two early-maturing, long-staple varieties on 50 hectares.",
        absent=("j.usmonov",), time=datetime.time(14, 0),
        location="Paxtachilik ilmiy-tadqiqot instituti Buxoro tajriba stansiyasi",
        decisions=(
            DecisionRow(
                "Prepare a seed-variety trial with the research station on 50 hectares",
                "Two varieties are tested on the plots of five contracted farms.",
                items=(
                    Item("Select five farms for the seed-variety trial", person="d.xasanov", status=DONE, due=60,
                         done=45),
                ),
            ),
        ),
    ),
    MeetingRow(
        "council", -215, "Council meeting: quick-win projects and the end of phase 1",
        ("Selection of quick-win projects", "Membership fee", "Results of phase 1 of the roadmap"),
        "The council selected four quick-win projects. The proposal to raise the membership fee did not pass. "
        "With the bodies formed, the regulations approved and the projects selected, phase 1 is complete.",
        absent=("j.usmonov", "z.mirzayeva"), location=COUNCIL_ROOM,
        decisions=(
            DecisionRow(
                "Select four quick-win projects for phase 1",
                "1. Joint HVI testing of fibre at the shared laboratory. 2. Consolidated rail shipments of yarn "
                "through the Kogon terminal. 3. Dual training of sewing-machine operators with the textile "
                "college. 4. OEKO-TEX Standard 100 certification support for knitting and sewing enterprises.",
                kind=STRATEGIC,
                items=(
                    Item("Prepare project passports (budget, effect, milestones) for the four projects",
                         person="s.ismoilov", status=DONE, due=30, done=28),
                    Item("Set up joint HVI fibre testing at the shared laboratory", group="quality", status=DONE,
                         due=120, done_t=-70),
                ),
            ),
            DecisionRow("Raise the annual membership fee by 50 per cent",
                        "Proposed by the office to finance the shared-services centre.",
                        votes=(3, 3, 1), kind=STRATEGIC),
            DecisionRow(
                "Confirm the completion of phase 1 and start phase 2 (launch and stabilisation)",
                "The gate criteria of phase 1 are met.", votes=(6, 0, 1), kind=STRATEGIC,
                items=(
                    Item("Prepare the work plan of phase 2", person="office", status=DONE, due=20, done=15),
                ),
            ),
        ),
    ),
    MeetingRow(
        "office", -200, "Office meeting: the shared-services catalogue",
        ("Services offered to participants", "Prices of laboratory tests"),
        "The office put together the first catalogue of shared services.",
        time=datetime.time(9, 0), location=OFFICE_ROOM,
        decisions=(
            DecisionRow(
                "Publish the shared-services catalogue",
                "Laboratory tests, certification support, logistics and training, with prices for participants.",
                items=(
                    Item("Agree the prices of laboratory tests with «Buxoro Sifat Laboratoriyasi» MChJ",
                         person="s.ismoilov", status=DONE, due=30, done=21),
                ),
            ),
        ),
    ),
    MeetingRow(
        "export", -170, "Export working group: foreign buyers",
        ("Buyers in the EU and the CIS", "Joint product catalogue"),
        "Only two of the five members came: there was no quorum and no decision was taken. The items move to "
        "the next meeting.",
        absent=("s.qodirova", "i.yoldoshev", "f.abdurahmonova"), time=datetime.time(15, 0),
        location="«Buxoro Tekstil Eksport» MChJ",
    ),
    MeetingRow(
        "office", -150, "Office meeting: consolidated rail shipments",
        ("Consolidated yarn shipments", "Joint purchase of diesel fuel"),
        "Three spinning mills ship yarn in part-loads. The office proposed to pool them through the Kogon "
        "terminal.",
        time=datetime.time(9, 0), location=OFFICE_ROOM,
        decisions=(
            DecisionRow(
                "Pool the yarn shipments of three spinning mills through the Kogon terminal",
                "Shipments are pooled into full wagons from the autumn season.",
                items=(
                    Item("Draft the consolidated shipment schedule for the autumn season", group="logistics",
                         status=DONE, due=45, done=40),
                    Item("Collect quotations for a joint purchase of diesel fuel for the harvest",
                         person="s.ismoilov", status=CANCELLED, due=30,
                         description="Cancelled: the farms receive fuel under the state allocation."),
                ),
            ),
        ),
    ),
    MeetingRow(
        "council", -125, "Council meeting: half-year of phase 2",
        ("Report of the office", "Revised office regulation", "Dual training programme",
         "Co-financing of the shared laboratory"),
        "The office reported on the quick-win projects. The council revised the office regulation to cover the "
        "shared-services centre, approved the dual training programme and asked the investor to co-finance "
        "the shared laboratory.",
        absent=("g.sharipova",), location=COUNCIL_ROOM,
        decisions=(
            DecisionRow("Approve the revised office regulation (version 2)",
                        "The office also runs the shared-services centre and sends the council a monthly KPI "
                        "note.", kind=STRATEGIC, approves=("office_v2",)),
            DecisionRow(
                "Approve the dual training programme with the textile college",
                "Students spend three days a week at the enterprises; the first group has 40 students.",
                votes=(7, 0, 1), kind=STRATEGIC,
                items=(
                    Item("Sign dual-training agreements with five sewing and knitting enterprises", group="skills",
                         status=IN_PROGRESS, due_t=-65, description="Three of five agreements are signed."),
                    Item("Enrol the first group of 40 sewing-machine operators", person="z.mirzayeva", status=DONE,
                         due_t=-40, done_t=-45),
                ),
            ),
            DecisionRow(
                "Ask «Zarafshon Invest» AJ to co-finance the shared laboratory",
                "The cluster asks for 40 % of the equipment cost of the laboratory.",
                votes=(6, 1, 1), kind=STRATEGIC,
                items=(
                    Item("Prepare the investment memorandum for the shared laboratory", person="j.usmonov",
                         due_t=-95),
                ),
            ),
        ),
    ),
    MeetingRow(
        "quality", -110, "Quality working group: OEKO-TEX certification",
        ("Certification of knitted and sewn products", "HVI line of the shared laboratory"),
        "Buyers in the EU ask for OEKO-TEX Standard 100. Three enterprises are ready to start.",
        absent=("m.tosheva",), time=datetime.time(15, 0), location="«Buxoro Sifat Laboratoriyasi» MChJ",
        decisions=(
            DecisionRow(
                "Start OEKO-TEX Standard 100 certification for three knitting and sewing enterprises",
                "«Buxoro Trikotaj», «Buxoro Moda Tikuv» and «Shofirkon Tikuv» start with office support.",
                items=(
                    Item("Prepare the certification dossiers of the three enterprises", group="quality",
                         status=IN_PROGRESS, due_t=-20),
                    Item("Calibrate the HVI line and run an inter-laboratory comparison", person="l.normurodov",
                         due_t=-50),
                ),
            ),
        ),
    ),
    MeetingRow(
        "office", -90, "Office meeting: quarterly report to the council",
        ("Quarterly KPI report", "Missing quarterly data"),
        "The quarterly report is ready, except for four processors whose data are incomplete.",
        time=datetime.time(9, 0), location=OFFICE_ROOM,
        decisions=(
            DecisionRow(
                "Approve the quarterly KPI report for the council",
                "The report goes to the council with the completeness of data noted.",
                items=(
                    Item("Obtain the missing quarterly data of four processors", person="n.rahimova",
                         status=IN_PROGRESS, due_t=-75),
                ),
            ),
        ),
    ),
    MeetingRow(
        "logistics", -75, "Logistics working group: shared transport schedule",
        ("Weekly transport schedule for the ginneries", "Rail wagon tariffs"),
        "Pooled shipments work; the farms ask for a predictable schedule for the harvest.",
        absent=("u.hakimov",), time=datetime.time(15, 0), location="«Buxoro Trans Logistik» MChJ",
        decisions=(
            DecisionRow(
                "Introduce a weekly shared transport schedule for deliveries to the ginneries",
                "Farms book slots a week ahead; trucks are shared between neighbouring farms.",
                items=(
                    Item("Publish the weekly transport schedule to the farms", group="logistics", status=DONE,
                         due_t=-45, done_t=-38),
                    Item("Negotiate a volume discount for rail wagons with the terminal", person="u.hakimov",
                         status=IN_PROGRESS, due_t=25),
                ),
            ),
        ),
    ),
    MeetingRow(
        "export", -50, "Export working group: joint product catalogue",
        ("Joint product catalogue", "Trade fairs"),
        "The group took up the items postponed for lack of quorum and agreed on a joint catalogue.",
        absent=("i.yoldoshev",), time=datetime.time(15, 0), location="«Buxoro Tekstil Eksport» MChJ",
        decisions=(
            DecisionRow(
                "Prepare a joint catalogue of knitted and sewn products for foreign buyers",
                "Eight enterprises take part; the catalogue is in Uzbek, English and Russian.",
                items=(
                    Item("Photograph and describe the products of eight enterprises", person="s.qodirova",
                         due_t=14),
                    Item("Translate the catalogue into English and Russian", group="export", due_t=-5),
                ),
            ),
        ),
    ),
    MeetingRow(
        "council", -40, "Council meeting: KPI review and the export plan",
        ("KPI review of the last quarter", "Export diversification plan", "Reporting discipline"),
        "The defect rate fell but export growth is below target. Six enterprises reported late twice in a row.",
        absent=("j.usmonov", "q.nurmatov"), location=COUNCIL_ROOM,
        decisions=(
            DecisionRow(
                "Adopt the export diversification plan for EU and CIS markets",
                "Targets: two new EU buyers and a joint stand at the national textile fair.",
                kind=STRATEGIC,
                items=(
                    Item("Organise a joint stand at the national textile fair in Tashkent", group="export",
                         status=IN_PROGRESS, due_t=35),
                    Item("Shortlist three EU buyers of knitted garments", person="g.sharipova", due_t=-10),
                ),
            ),
            DecisionRow(
                "Tie priority in the shared-services queue to timely reporting",
                "Enterprises that report after the deadline lose their priority for the next quarter.",
                votes=(6, 0, 1), kind=STRATEGIC,
                items=(
                    Item("Send written reminders to the six enterprises that reported late twice in a row",
                         person="n.rahimova", status=DONE, due_t=-30, done_t=-33),
                    Item("Propose incentive-package rules tied to reporting discipline", person="office",
                         due_t=20),
                ),
            ),
        ),
    ),
    MeetingRow(
        "quality", -30, "Quality working group: sampling of incoming fibre",
        ("Sampling plan for incoming fibre", "Progress of certification"),
        "The ginneries sample incoming cotton differently. The group approved one sampling plan.",
        absent=("a.polatov",), time=datetime.time(15, 0), location="«Buxoro Sifat Laboratoriyasi» MChJ",
        decisions=(
            DecisionRow(
                "Approve the sampling plan for incoming fibre at the ginneries",
                "One sample per 10 tonnes, tested at the shared laboratory.",
                items=(
                    Item("Train the laboratory staff of the ginneries on the sampling plan", person="wg",
                         due_t=12),
                ),
            ),
        ),
    ),
    MeetingRow(
        "office", -21, "Office meeting: preparing the next council meeting",
        ("Agenda of the next council meeting", "Draft decision procedure, version 2"),
        "The office prepared the agenda of the next council meeting and a revised decision procedure that "
        "allows written votes in urgent cases.",
        absent=("n.rahimova",), time=datetime.time(9, 0), location=OFFICE_ROOM,
        decisions=(
            DecisionRow(
                "Put the draft decision procedure (version 2) to the next council meeting",
                "The draft goes to the council members with the agenda.",
                items=(
                    Item("Send the draft decision procedure to the council members", person="office", due_t=7),
                ),
            ),
        ),
    ),
    # Planned: their agendas also get the open action items of the body (services.meeting_save).
    MeetingRow(
        "quality", 10, "Quality working group: certification and defect rates",
        ("Progress of the OEKO-TEX certification dossiers", "Defect rates of the last quarter by value-chain link",
         "Sampling plan: first results at the ginneries"),
        "", time=datetime.time(15, 0), location="«Buxoro Sifat Laboratoriyasi» MChJ",
    ),
    MeetingRow(
        "council", 24, "Council meeting: execution of decisions and the decision procedure",
        ("Execution of council decisions", "Draft decision procedure, version 2",
         "Export diversification plan: first results", "Incentive rules tied to reporting discipline"),
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
    from .kpi import load_kpi_demo
    from .portfolio import load_portfolio_demo

    return [("kpi", load_kpi_demo), ("portfolio", load_portfolio_demo)]


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
            sector="Cotton–textile (paxta-to'qimachilik)",
            region="Buxoro viloyati (Bukhara region)",
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
            lines.append(f"Chair: {chair.person.get_full_name()}.")
        present = names(m for m in members if m.person_id not in absent)
        lines.append(f"Present ({quorum.present} of {quorum.eligible}): {present}.")
        lines.append(f"Absent: {names(m for m in members if m.person_id in absent)}.")
        if not quorum.met:
            lines.append(
                f"Quorum not reached ({quorum.required} members needed): no decision was taken; the agenda moves "
                "to the next meeting."
            )
        elif decisions:
            lines += ["", "Decisions:"]
            for d in decisions:
                lines.append(
                    f"- {d.number} {d.title}: {d.get_outcome_display().lower()} "
                    f"({d.votes_for} for, {d.votes_against} against, {d.votes_abstain} abstained)."
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
