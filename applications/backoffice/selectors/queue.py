"""Reads for the back-office queue: its filters, the prioritised queue of an agent's prefectures read
in keyset pages, its counts, and the supervisor's view of the workload. Everything is scoped to the
prefectures of the person's memberships."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from functools import partial
from typing import Any, NamedTuple

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import Membership, User
from accounts.selectors import user_memberships
from applications.clock import QUEUE_STATUSES
from applications.models import Dossier, search_name
from applications.staff import INSTRUCTING_ROLES, agent_prefecture_ids, supervised_prefecture_ids
from applications.workflow import OPEN_STATUSES
from core.prepared import PreparedQuery
from territory.models import Prefecture

DEADLINE_STATES = ("at_risk", "overdue", "due_soon", "paused")
#: "Due soon": the legal deadline falls within this many days.
DUE_SOON_DAYS = 7


@dataclass(frozen=True)
class QueueFilters:
    """Every filter of the queue; all of them travel in the URL (bookmarkable, shareable)."""

    prefecture: int | None = None
    procedure: int | None = None
    statuses: tuple[str, ...] = field(default_factory=tuple)
    channel: str = ""
    assigned: str = ""  # "" any, "me", "none", or a user id
    deadline: str = ""  # one of DEADLINE_STATES
    q: str = ""

    def to_json(self) -> dict[str, Any]:
        """What a queue export stores, to apply the same filters in the worker."""
        data = asdict(self)
        data["statuses"] = list(self.statuses)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> QueueFilters:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["statuses"] = tuple(known.get("statuses") or ())
        return cls(**known)


@dataclass(frozen=True)
class Cursor:
    """Keyset position: the (priority, priority_date, id) of the last row shown."""

    priority: int
    priority_date: date | None
    id: int

    def encode(self) -> str:
        return f"{self.priority}.{self.priority_date.isoformat() if self.priority_date else ''}.{self.id}"

    @classmethod
    def decode(cls, raw: str) -> Cursor | None:
        try:
            priority, day, pk = raw.split(".")
            return cls(int(priority), date.fromisoformat(day) if day else None, int(pk))
        except (ValueError, AttributeError):
            return None


# --- Deadline conditions, as SQL (the same rules as applications/clock.py) -----------------------

def rights_at_risk_q(today: date) -> Q:
    """The current permit ends soon and no valid certificate covers the person (clock.rights_at_risk)."""
    return Q(
        status__in=OPEN_STATUSES, permit_expires_on__isnull=False,
        permit_expires_on__lte=today + timedelta(days=settings.RIGHTS_AT_RISK_DAYS),
    ) & (Q(certificate_valid_until__isnull=True) | Q(certificate_valid_until__lt=today))


def overdue_q(today: date) -> Q:
    return Q(status__in=OPEN_STATUSES, clock_paused_on__isnull=True, legal_deadline__lt=today)


def due_soon_q(today: date) -> Q:
    return Q(status__in=OPEN_STATUSES, clock_paused_on__isnull=True, legal_deadline__gte=today,
             legal_deadline__lte=today + timedelta(days=DUE_SOON_DAYS))


def paused_q() -> Q:
    return Q(status__in=OPEN_STATUSES, clock_paused_on__isnull=False)


# --- The queue ------------------------------------------------------------------------------------

def queue_base(
    *, user: User, filters: QueueFilters, today: date | None = None, prefecture_ids: set[int] | None = None
) -> QuerySet[Dossier]:
    """The person's queue; ``prefecture_ids`` only for a worker acting on a request that was
    checked when it was made (an export), since a worker has no session and no second factor."""
    prefectures = queue_prefecture_ids(user=user, filters=filters, prefecture_ids=prefecture_ids)
    return queue_filtered(prefecture_ids=prefectures, filters=filters, user=user, today=today)


def queue_prefecture_ids(
    *, user: User, filters: QueueFilters, prefecture_ids: set[int] | None = None
) -> list[int]:
    """The prefectures the queue reads: the person's (see ``queue_base``), narrowed by the filter."""
    prefectures = set(agent_prefecture_ids(user=user) if prefecture_ids is None else prefecture_ids)
    if filters.prefecture is not None:
        prefectures &= {filters.prefecture}
    return sorted(prefectures)


def queue_filtered(
    *, prefecture_ids: list[int], filters: QueueFilters, user: User | None = None, today: date | None = None
) -> QuerySet[Dossier]:
    """The queue of these prefectures with the filters applied (``user``: the one "assigned to me"
    names; ``today``: the deadline filter's day, today by default)."""
    today = today or timezone.localdate()
    rows = Dossier.objects.filter(prefecture_id__in=prefecture_ids)
    rows = rows.filter(status__in=filters.statuses or QUEUE_STATUSES)
    if filters.procedure:
        rows = rows.filter(procedure_id=filters.procedure)
    if filters.channel:
        rows = rows.filter(channel=filters.channel)
    if filters.assigned == "me":
        rows = rows.filter(assigned_to=user)
    elif filters.assigned == "none":
        rows = rows.filter(assigned_to__isnull=True)
    elif filters.assigned.isdigit():
        rows = rows.filter(assigned_to_id=int(filters.assigned))
    # Computed from the dates rather than the stored priority, so the filter always agrees with
    # the badges on screen even before the nightly priority refresh.
    if filters.deadline == "at_risk":
        rows = rows.filter(rights_at_risk_q(today))
    elif filters.deadline == "overdue":
        rows = rows.filter(overdue_q(today))
    elif filters.deadline == "due_soon":
        rows = rows.filter(due_soon_q(today))
    elif filters.deadline == "paused":
        rows = rows.filter(paused_q())
    query = filters.q.strip()
    if query:
        digits = query.replace(" ", "")
        if digits.isdigit() and len(digits) == 10:
            rows = rows.filter(search_foreigner_number=digits)
        elif "-" in query and any(ch.isdigit() for ch in query):
            rows = rows.filter(reference=query.upper().replace(" ", ""))
        else:
            rows = rows.filter(search_name__startswith=search_name(query))
    return rows


#: The columns a row of the API's queue shows or sorts by (issue 14: not the procedure's questions
#: nor the people's whole accounts, which were read, decoded and built 50 times per page). A field
#: read beyond these would cost a query per row.
QUEUE_ROW_FIELDS = (
    "reference", "applicant_id", "procedure_id", "prefecture_id", "status", "channel", "answers",
    "assigned_to_id", "submitted_at", "legal_deadline", "clock_paused_on", "permit_expires_on",
    "certificate_valid_until", "priority", "priority_date", "search_foreigner_number",
    *(f"procedure__name_{code}" for code in settings.MODELTRANSLATION_LANGUAGES), "procedure__name",
    "procedure__code", "prefecture__name", "prefecture__department__code",  # procedure code, prefecture: the API's rows
    "applicant__first_name", "applicant__last_name", "applicant__email", "applicant__login_id",
    "applicant__birth_date", "applicant__foreigner_number",
    "assigned_to__first_name", "assigned_to__last_name",
)


class QueueRow(NamedTuple):
    """One row of the back-office page (``queue_page(lean=True)``): the columns it shows or sorts by,
    as plain values. Issue 17: the page's 50 rows were read as three model instances each (the
    dossier, its applicant, its agent) and the answers decoded from JSON for the applicant's name,
    about a third of the page's Python calls; the identity step's two names are read from the
    answers in SQL instead (as the CSV export does). The procedure and the prefecture are not joined:
    the page names them from the catalogue's cached choices and the person's own prefectures."""

    id: int
    reference: str
    procedure_id: int
    prefecture_id: int | None
    status: str
    channel: str
    #: The day of filing in the portal's time zone, computed in SQL (a date, not a timestamp with a
    #: time zone, which psycopg loads and Django converts in Python: 8 calls per row, issue 17).
    submitted_on: date | None
    legal_deadline: date | None
    clock_paused_on: date | None
    permit_expires_on: date | None
    certificate_valid_until: date | None
    priority: int
    priority_date: date | None
    search_foreigner_number: str
    #: The applicant's account (their names, and what ``User.__str__`` falls back on).
    applicant_first_name: str
    applicant_last_name: str
    applicant_email: str
    applicant_login_id: str
    #: The names typed in the dossier's identity step (``applicant_snapshot``: they come first).
    identity_first_name: str | None
    identity_last_name: str | None
    assigned_to_id: int | None
    agent_first_name: str | None
    agent_last_name: str | None


#: ``QueueRow``'s columns as the ORM names them (the annotations below for the identity step's).
QUEUE_PAGE_COLUMNS = (
    "id", "reference", "procedure_id", "prefecture_id", "status", "channel", "submitted_on", "legal_deadline",
    "clock_paused_on", "permit_expires_on", "certificate_valid_until", "priority", "priority_date",
    "search_foreigner_number", "applicant__first_name", "applicant__last_name", "applicant__email",
    "applicant__login_id", "identity_first_name", "identity_last_name", "assigned_to_id",
    "assigned_to__first_name", "assigned_to__last_name",
)
if len(QUEUE_PAGE_COLUMNS) != len(QueueRow._fields):  # a column added to one and not the other
    raise TypeError("QUEUE_PAGE_COLUMNS and QueueRow must name the same columns")


#: The queue's order: priority, then its date (a row not yet refreshed last), then filing order.
QUEUE_ORDER = ("priority", F("priority_date").asc(nulls_last=True), "id")
#: The back-office page's default number of rows, the one whose SQL is built once per process.
QUEUE_PAGE_SIZE = 50


class _DayOf(TruncDate):
    """``TruncDate`` without its converter: the database gives the day (SQL ``::date``) as a date
    already, which ``TruncDate.convert_value`` would check again on every row of every page (three
    Python calls a row, issue 17). The backend's and the field's converters stay (SQLite's)."""

    def get_db_converters(self, connection):
        return self.output_field.get_db_converters(connection)


def _lean_rows(rows: QuerySet[Dossier]) -> QuerySet:
    return rows.annotate(
        # The default time zone, not the current one: the prepared SQL is built once per process
        # (the portal activates no other; the page wrote the day in the current one).
        submitted_on=_DayOf("submitted_at", tzinfo=timezone.get_default_timezone()),
        identity_first_name=KT("answers__identity__first_name"), identity_last_name=KT("answers__identity__last_name"),
    ).order_by(*QUEUE_ORDER).values_list(*QUEUE_PAGE_COLUMNS)


#: A row of ``_lean_rows`` as a ``QueueRow`` (what ``QueueRow._make`` does, without its checks).
_queue_row = partial(tuple.__new__, QueueRow)


# The back-office page's SQL built once per process (``core.prepared``, issue 14: building it was
# most of the page's query cost) for the shape nearly every request has: no filter but the
# prefecture and the status tabs (which only change the values of the ``IN`` lists), 50 rows, the
# first page or a next one (a dated cursor). Each other filter adds or rewrites conditions (the
# search has three forms, the deadline four, an undated cursor another), so a prepared query per
# shape would multiply the SQL kept per process and the tests comparing each with its queryset, for
# requests an agent makes now and then: those run through the ORM, from the same ``queue_filtered``
# and ``after_q``, so both paths read the same rows (tests/backoffice/test_queue_prepared.py).
_QUEUE_FIRST_PAGE = PreparedQuery(
    lambda prefecture_ids, statuses: _lean_rows(queue_filtered(
        prefecture_ids=prefecture_ids, filters=QueueFilters(statuses=tuple(statuses)),
    ))[: QUEUE_PAGE_SIZE + 1],
    prefecture_ids=list[int], statuses=list[str],
)
_QUEUE_NEXT_PAGE = PreparedQuery(
    lambda prefecture_ids, statuses, priority, day, pk: _lean_rows(queue_filtered(
        prefecture_ids=prefecture_ids, filters=QueueFilters(statuses=tuple(statuses)),
    )).filter(after_q(Cursor(priority, day, pk)))[: QUEUE_PAGE_SIZE + 1],
    prefecture_ids=list[int], statuses=list[str], priority=int, day=date, pk=int,
)


def _prepared_shape(filters: QueueFilters, after: Cursor | None, limit: int) -> bool:
    """Whether the page's SQL is one of the prepared ones (see above)."""
    return (limit == QUEUE_PAGE_SIZE and (after is None or after.priority_date is not None)
            and replace(filters, prefecture=None, statuses=()) == QueueFilters())


def queue_page_rows(
    *, user: User, filters: QueueFilters, after: Cursor | None = None, limit: int = QUEUE_PAGE_SIZE
) -> tuple[list[QueueRow], Cursor | None]:
    """One page of the back-office queue in priority order (``QueueRow``: what the table shows, the
    clock badges computed from the row's own fields by applications.clock.clock_for), and the cursor
    of the next page (None at the end). One query."""
    if _prepared_shape(filters, after, limit):
        prefectures = queue_prefecture_ids(user=user, filters=filters)
        statuses = list(filters.statuses or QUEUE_STATUSES)
        if after is None:
            found = _QUEUE_FIRST_PAGE(prefecture_ids=prefectures, statuses=statuses)
        else:
            found = _QUEUE_NEXT_PAGE(prefecture_ids=prefectures, statuses=statuses, priority=after.priority,
                                     day=after.priority_date, pk=after.id)
    else:
        rows = _lean_rows(queue_base(user=user, filters=filters))
        if after is not None:
            rows = rows.filter(after_q(after))
        found = list(rows[: limit + 1])
    return _with_next_cursor(list(map(_queue_row, found)), limit)


def queue_page(
    *, user: User, filters: QueueFilters, after: Cursor | None = None, limit: int = 50
) -> tuple[list[Dossier], Cursor | None]:
    """One page of the queue in priority order as dossiers (the API's), and the cursor of the next
    page (None at the end). One query: what the rows show (procedure, prefecture, applicant, agent)
    is joined."""
    rows = queue_base(user=user, filters=filters).select_related(
        "procedure", "prefecture__department", "applicant", "assigned_to"
    ).only(*QUEUE_ROW_FIELDS).order_by(*QUEUE_ORDER)
    if after is not None:
        rows = rows.filter(after_q(after))
    return _with_next_cursor(list(rows[: limit + 1]), limit)


def _with_next_cursor(page: list, limit: int) -> tuple[list, Cursor | None]:
    """The page without the row read beyond ``limit``, and the cursor of the next page if there was one."""
    if len(page) <= limit:
        return page, None
    last = page[limit - 1]
    return page[:limit], Cursor(last.priority, last.priority_date, last.id)


def after_q(after: Cursor) -> Q:
    """Rows after ``after`` in (priority, priority_date NULLS LAST, id) order: the keyset condition
    of the queue's pages and of an export's batches. The leading ``priority >= p`` bounds the index
    range scan; the rest is the exact condition."""
    # Queue rows normally have a priority date (permit end, legal deadline or filing day); a row
    # not yet refreshed may not, and sorts last within its priority (NULLS LAST).
    p, day, pk = after.priority, after.priority_date, after.id
    if day is None:
        return Q(priority__gte=p) & (Q(priority__gt=p) | Q(priority=p, priority_date__isnull=True, id__gt=pk))
    return Q(priority__gte=p) & (
        Q(priority__gt=p) | Q(priority=p, priority_date__gt=day) | Q(priority=p, priority_date=day, id__gt=pk)
        | Q(priority=p, priority_date__isnull=True)
    )


def _status_counts(rows: QuerySet[Dossier]) -> QuerySet:
    # ``COUNT(*)``, not ``COUNT(id)``: the same numbers (the key is never null), and the index on
    # (prefecture, status) alone answers it without reading the table (dossier_status_count_idx).
    return rows.order_by().values_list("status").annotate(n=Count("*")).values_list("status", "n")


#: The counts of the page's default shape (no filter but the prefecture): SQL built once per process.
_QUEUE_STATUS_COUNTS = PreparedQuery(
    lambda prefecture_ids: _status_counts(queue_filtered(prefecture_ids=prefecture_ids, filters=QueueFilters())),
    prefecture_ids=list[int],
)


def _counts_prepared(filters: QueueFilters) -> bool:
    """Whether the counts' SQL is the prepared one: no filter but the prefecture (and the status
    one, which the counts ignore)."""
    return replace(filters, prefecture=None, statuses=()) == QueueFilters()


def queue_status_counts(*, user: User, filters: QueueFilters) -> dict[str, int]:
    """How many dossiers per status, with every filter but the status one applied."""
    if _counts_prepared(filters):
        return dict(_QUEUE_STATUS_COUNTS(prefecture_ids=queue_prefecture_ids(user=user, filters=filters)))
    return dict(_status_counts(queue_base(user=user, filters=replace(filters, statuses=()))))


def instructing_prefectures(*, user: User) -> list[Prefecture]:
    """The prefectures where the person instructs now (agent or supervisor, verified second factor),
    by département code: the queue's prefecture filter and the statistics page's choice. No query
    beyond their memberships."""
    allowed = agent_prefecture_ids(user=user)
    found = {m.prefecture_id: m.prefecture for m in user_memberships(user=user)
             if m.prefecture is not None and m.prefecture_id in allowed}
    return sorted(found.values(), key=lambda p: p.department.code)


#: What the lists of agents show (name as ``User.__str__`` gives it, prefecture): not the whole
#: accounts (password hash, address, preferences), built for every agent on every queue page
#: (issue 14). A field read beyond these costs a query per agent.
AGENT_FIELDS = (
    "user_id", "role", "prefecture_id", "site_id", "created_at",
    "user__first_name", "user__last_name", "user__email", "user__login_id", "user__is_active",
    "prefecture__name", "prefecture__department__code",
)


#: Read on every queue page and file page: its SQL built once per process (``core.prepared``).
_PREFECTURE_AGENTS = PreparedQuery(
    lambda prefecture_ids: (
        Membership.objects.filter(prefecture_id__in=prefecture_ids, role__in=INSTRUCTING_ROLES,
                                  user__is_active=True)
        .select_related("user", "prefecture__department")
        .only(*AGENT_FIELDS)
        .order_by("prefecture__department__code", "user__last_name", "user__first_name", "user_id", "role")
    ),
    prefecture_ids=list[int],
)


def prefecture_agents(*, prefecture_ids: set[int] | list[int]) -> list[Membership]:
    """The agents and supervisors of these prefectures (one row per person and prefecture), by name."""
    rows = _PREFECTURE_AGENTS(prefecture_ids=sorted(prefecture_ids))
    seen: set[tuple[int, int | None]] = set()
    agents = []
    for membership in rows:
        key = (membership.user_id, membership.prefecture_id)
        if key not in seen:
            seen.add(key)
            agents.append(membership)
    return agents


#: The queue's "agent in charge" choices: ``_PREFECTURE_AGENTS``'s rows as plain values (issue 17:
#: read on every queue page, where the agents are only named).
_PREFECTURE_AGENT_NAMES = PreparedQuery(
    lambda prefecture_ids: (
        Membership.objects.filter(prefecture_id__in=prefecture_ids, role__in=INSTRUCTING_ROLES,
                                  user__is_active=True)
        .order_by("prefecture__department__code", "user__last_name", "user__first_name", "user_id", "role")
        .values_list("user_id", "prefecture_id", "user__first_name", "user__last_name", "user__email",
                     "user__login_id", "prefecture__department__code")
    ),
    prefecture_ids=list[int],
)


def prefecture_agent_choices(*, prefecture_ids: set[int] | list[int], several: bool) -> list[tuple[str, str]]:
    """The queue's choices of agent (their id, and their name as ``User.__str__`` gives it, with the
    département's code when ``several`` prefectures are shown): ``prefecture_agents`` without
    building the memberships, in the same order."""
    seen: set[tuple[int, int | None]] = set()
    choices = []
    for user_id, prefecture_id, first, last, email, login_id, code in _PREFECTURE_AGENT_NAMES(
            prefecture_ids=sorted(prefecture_ids)):
        if (user_id, prefecture_id) in seen:
            continue
        seen.add((user_id, prefecture_id))
        last = last.upper()
        name = (f"{first} {last}" if first and last else first or last) or email or login_id
        choices.append((str(user_id), f"{name} – {code}" if several else name))
    return choices


# --- Supervision -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class AgentLoad:
    membership: Membership
    open: int
    overdue: int
    at_risk: int


def workload_for_supervisor(*, user: User, today: date | None = None) -> tuple[list[AgentLoad], dict[int, int]]:
    """Per agent of the supervisor's prefectures: open dossiers assigned, overdue ones, rights at
    risk; and per prefecture the open dossiers nobody has taken. Three queries in all."""
    today = today or timezone.localdate()
    prefectures = supervised_prefecture_ids(user=user)
    open_rows = Dossier.objects.filter(prefecture_id__in=prefectures, status__in=QUEUE_STATUSES)
    counts: dict[tuple[int, int], Any] = {
        (row["assigned_to"], row["prefecture"]): row
        for row in open_rows.filter(assigned_to__isnull=False).order_by()
        .values("assigned_to", "prefecture")
        .annotate(open=Count("id"), overdue=Count("id", filter=overdue_q(today)),
                  at_risk=Count("id", filter=rights_at_risk_q(today)))
    }
    loads = []
    for membership in prefecture_agents(prefecture_ids=prefectures):
        row = counts.get((membership.user_id, membership.prefecture_id or 0), {})
        loads.append(AgentLoad(membership, row.get("open", 0), row.get("overdue", 0), row.get("at_risk", 0)))
    unassigned = dict(
        open_rows.filter(assigned_to__isnull=True).order_by().values_list("prefecture")
        .annotate(n=Count("id")).values_list("prefecture", "n")
    )
    return loads, unassigned


def open_dossiers_of_agent(*, supervisor: User, agent_id: int) -> QuerySet[Dossier]:
    """The open dossiers assigned to an agent, within the supervisor's prefectures, by priority."""
    return (
        Dossier.objects.filter(
            prefecture_id__in=supervised_prefecture_ids(user=supervisor), status__in=QUEUE_STATUSES,
            assigned_to_id=agent_id,
        )
        .select_related("procedure", "applicant", "prefecture__department")
        .order_by("priority", F("priority_date").asc(nulls_last=True), "id")
    )
