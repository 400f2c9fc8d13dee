"""The web application: routes, sessions, CSRF, roles and the security headers (docs/web.md). Every page
calls the node's services (rilo_node/node); nothing here holds SQL or a sharing decision."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

import anyio
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from rilo_node.core import identifiers, vocab
from rilo_node.core.convert import (
    annex_from_bytes,
    kind_name,
    pb_to_dict,
    seizure_from_bytes,
)
from rilo_node.core.errors import (
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    RiloError,
    SignatureError,
    ValidationError,
)
from rilo_node.core.federation import GROUP_FIELDS, validate_filter, validate_group_by
from rilo_node.node.clock import rfc3339
from rilo_node.node.disclosures import record_disclosures
from rilo_node.node.requests import check_request
from rilo_node.node.users import LoginFailed, Users, allowed
from rilo_node.pb.rilo.v1 import (
    node_pb2,
    operation_pb2,
    peer_pb2,
    record_pb2,
    request_pb2,
    seizure_pb2,
)
from rilo_node.store.db import AuditActor
from rilo_node.web import words

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
SESSION_COOKIE = "__Host-rilo_session"
LOGIN_COOKIE = "__Host-rilo_login"  # the CSRF token of the login form (double submit), before a session exists
PAGE = 50  # rows a search page: `search --json --limit 50`
SCOPES = ("local", "area", "region", "global")
MAX_MESSAGE = 4000
# Argon2id runs in threads, at most this many at once; more logins than LOGIN_QUEUE waiting are turned away
# (503) rather than queued: a login storm cannot take the node's threads or memory.
LOGIN_THREADS = 1
LOGIN_QUEUE = 64
# Page work that blocks (the store, a federated search) runs on at most this many threads of the web's own
# (each holds a SQLite reader of its own); the event streams' reads on two more, apart: a thousand open
# streams take no more memory or threads than two.
PAGE_THREADS = 8
STREAM_THREADS = 2
RESPONSE_STATUSES = [n for n in request_pb2.ResponseStatus.keys() if not n.endswith("UNSPECIFIED")]  # noqa: SIM118
MAX_BODY = 64 * 1024  # a post: a message of 4,000 characters and a seizure form fit many times over

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"strict-transport-security", b"max-age=31536000"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]


class SecurityHeaders:
    """Pure ASGI middleware: the headers of docs/web.md#security on every response, streams included."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length", b"0")
        if not length.isdigit() or int(length) > MAX_BODY:
            # Before anything reads it: no form of these pages is near this size.
            resp = PlainTextResponse(f"a request body of at most {MAX_BODY} bytes", status_code=413)
            return await resp(scope, receive, self._with_headers(send))
        seen = [0]

        async def bounded_receive():
            # A body sent without a length (chunked) is cut off at the same size: the request ends there.
            message = await receive()
            if message["type"] == "http.request":
                seen[0] += len(message.get("body", b""))
                if seen[0] > MAX_BODY:
                    return {"type": "http.disconnect"}
            return message

        await self.app(scope, bounded_receive, self._with_headers(send))

    @staticmethod
    def _with_headers(send):

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                headers = list(message.get("headers", []))
                for name, value in SECURITY_HEADERS:
                    if name not in names or name == b"cache-control":
                        headers = [(k, v) for k, v in headers if k.lower() != name] + [(name, value)]
                message = {**message, "headers": headers}
            await send(message)

        return send_with_headers


@dataclass
class Services:
    """The node's parts the pages call (the same ones rilo_node/api serves)."""

    node_id: str
    store: object
    book: object
    queries: object
    operations: object
    requests: object
    keyring: object
    users: Users
    clock: object
    peer_states: object  # () -> [PeerState]
    directory: object  # () -> Directory
    disclosures: object = None  # (record_id) -> who holds an own record and who was shown it
    hitcheck: object = None  # node/hitcheck.py's HitCheck: hit/no-hit on annex identifiers

    @classmethod
    def of_node(cls, node) -> Services:
        return cls(node_id=node.config.node_id, store=node.store, book=node.book, queries=node.queries,
                   operations=node.operations, requests=node.requests, keyring=node.keyring,
                   users=Users(node.store, node.clock, admin_totp=node.config.web_admin_totp,
                               node_id=node.config.node_id),
                   clock=node.clock, peer_states=node.network.states, directory=lambda: node.directory,
                   disclosures=lambda record_id: record_disclosures(
                       store=node.store, replicator=node.replicator, network=node.network,
                       me=node.config.node_id, record_id=record_id),
                   hitcheck=node.hitcheck)


class HashPool:
    """Argon2id sign-ins on threads of their own, at a lower CPU priority than the node's other threads
    (nice 10 on Linux): a login storm takes what the node leaves, not what searches and replication need."""

    def __init__(self, threads: int):
        import concurrent.futures

        self.executor = concurrent.futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="web-argon2",
                                                              initializer=self._lower_priority)

    @staticmethod
    def _lower_priority() -> None:
        import os

        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)  # this thread only (Linux)
        except (AttributeError, OSError):
            pass

    async def run(self, fn, *args):
        return await asyncio.wrap_future(self.executor.submit(fn, *args))

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


class FormError(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class Live:
    """Wakes the event streams when the store commits (the same commit hook that feeds the gRPC watch)."""

    def __init__(self, store):
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self._lock = threading.Lock()
        self.closing = False
        store.on_commit(self._committed)

    def _committed(self, _seq: int) -> None:
        with self._lock:
            waiters = list(self._waiters)
        for loop, event in waiters:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # that loop is closed
                pass

    def add(self, event: asyncio.Event) -> tuple:
        entry = (asyncio.get_running_loop(), event)
        with self._lock:
            self._waiters.add(entry)
        return entry

    def remove(self, entry: tuple) -> None:
        with self._lock:
            self._waiters.discard(entry)

    def close(self) -> None:
        self.closing = True
        self._committed(0)

    @property
    def streams(self) -> int:
        return len(self._waiters)


def safe_next(value: str | None) -> str:
    """A place inside this site to go back to after the login: a path, never another origin."""
    if not value or not value.startswith("/") or value.startswith(("//", "/login")) or "\\" in value:
        return "/search"
    return value


def create_app(svc: Services, *, secure_cookies: bool = True) -> Starlette:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(words=words, node_id=svc.node_id, scopes=SCOPES, sections=list(vocab.SECTIONS),
                       categories=sorted(vocab.CATEGORY_SECTION), max_message=MAX_MESSAGE)
    env.filters["tlp_class"] = lambda t: "tlp-" + (t or "unset").lower().replace("_", "-")
    live = Live(svc.store)
    hashing = HashPool(LOGIN_THREADS)
    page_limiter = anyio.CapacityLimiter(PAGE_THREADS)
    stream_limiter = anyio.CapacityLimiter(STREAM_THREADS)

    async def run_in_threadpool(fn, *args):
        return await anyio.to_thread.run_sync(fn, *args, limiter=page_limiter)
    waiting = {"logins": 0}

    def render(request: Request, page_name: str, status: int = 200, **ctx) -> HTMLResponse:
        ctx.setdefault("user", request.state.user if hasattr(request.state, "user") else None)
        ctx.setdefault("csrf", request.state.csrf if hasattr(request.state, "csrf") else "")
        ctx["path"] = request.url.path
        return HTMLResponse(env.get_template(page_name).render(**ctx), status_code=status)

    def error_page(request: Request, status: int, message: str) -> HTMLResponse:
        titles = {403: "Not allowed", 404: "Not found", 400: "Bad request", 503: "Busy"}
        return render(request, "error.html", status, title=titles.get(status, "Error"), message=message)

    def actor(request: Request) -> AuditActor:
        return AuditActor(f"web:{svc.node_id}", request.state.user["name"])

    def set_cookie(resp: Response, name: str, value: str, max_age: int | None = None) -> None:
        """A `__Host-` cookie: Secure, HttpOnly, SameSite=Strict, Path=/, no Domain (written whole, so that
        the attributes read exactly as docs/web.md#security names them)."""
        parts = [f"{name}={value}", "Path=/", "HttpOnly", "SameSite=Strict"]
        if secure_cookies:
            parts.append("Secure")
        if max_age is not None:
            parts.append(f"Max-Age={max_age}")
        resp.headers.append("set-cookie", "; ".join(parts))

    def clear_cookie(resp: Response, name: str) -> None:
        set_cookie(resp, name, "", max_age=0)

    # -- authentication -------------------------------------------------------------------------

    async def authenticated(request: Request) -> bool:
        sid = request.cookies.get(SESSION_COOKIE, "")
        found = await run_in_threadpool(svc.users.session, sid) if sid else None
        if found is None:
            return False
        sess, user = found
        request.state.user, request.state.csrf, request.state.sid = user, sess["csrf"], sid
        return True

    def page(action: str = "read", *, method_csrf: bool = True):
        """A page for signed-in users whose role allows `action`; a POST must carry the session's CSRF token."""
        def wrap(fn):
            async def endpoint(request: Request):
                if not await authenticated(request):
                    if request.url.path.endswith("/events"):
                        return PlainTextResponse("sign in first", status_code=401)
                    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                    return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)
                if request.method == "POST" and method_csrf:
                    form = await request.form()
                    token = form.get("csrf", "")
                    if not isinstance(token, str) or not secrets.compare_digest(token.encode(),
                                                                              request.state.csrf.encode()):
                        return error_page(request, 403, "The form was out of date or not sent by this site "
                                                         "(no valid CSRF token). Nothing was changed.")
                    request.state.form = form
                if not allowed(request.state.user["role"], action):
                    return error_page(request, 403, "Your role does not allow this. Nothing was changed.")
                try:
                    return await fn(request)
                except NotFoundError:
                    return error_page(request, 404, "There is nothing here, or it is not yours to see.")
                except PermissionDeniedError as exc:
                    return error_page(request, 403, str(exc))
            return endpoint
        return wrap

    async def login_form(request: Request, *, status: int = 200, error: str = "", name: str = "") -> Response:
        # One token per browser until it signs in: a second tab, or a redirect to this page, keeps it.
        token = request.cookies.get(LOGIN_COOKIE, "")
        if not (40 <= len(token) <= 64 and token.replace("-", "").replace("_", "").isalnum()):
            token = secrets.token_urlsafe(32)
        resp = render(request, "login.html", status, login_csrf=token, error=error, name=name,
                      next=safe_next(getattr(request.state, "next", None) or request.query_params.get("next")))
        set_cookie(resp, LOGIN_COOKIE, token)
        return resp

    async def login_get(request: Request):
        # Shown signed in or not: signing in again (as someone else) starts a new session.
        request.state.user = None
        return await login_form(request)

    async def login_post(request: Request):
        request.state.user = None
        form = await request.form()
        token, cookie = form.get("csrf", ""), request.cookies.get(LOGIN_COOKIE, "")
        if not cookie or not isinstance(token, str) or not secrets.compare_digest(token.encode(), cookie.encode()):
            return error_page(request, 403, "The sign-in form was out of date (no valid CSRF token). "
                                            "Open the sign-in page again.")
        name, password, code = (str(form.get(k, ""))[:300] for k in ("name", "password", "code"))
        request.state.next = str(form.get("next", ""))
        if waiting["logins"] >= LOGIN_QUEUE:
            return error_page(request, 503, "Too many sign-ins at once: try again in a moment.")
        waiting["logins"] += 1
        try:
            user = await hashing.run(svc.users.authenticate, name, password, code)
        except LoginFailed as exc:
            logger.info("[node=%s] web sign-in refused for %r: %s", svc.node_id, name, exc.reason)
            return await login_form(request, status=401, error=LoginFailed.MESSAGE, name=name)
        finally:
            waiting["logins"] -= 1
        old = request.cookies.get(SESSION_COOKIE)
        if old:
            await run_in_threadpool(svc.users.end_session, old)
        sid, _csrf = await run_in_threadpool(svc.users.start_session, user["name"])  # a new id at every login
        resp = RedirectResponse(safe_next(str(form.get("next", ""))), status_code=303)
        set_cookie(resp, SESSION_COOKIE, sid)
        clear_cookie(resp, LOGIN_COOKIE)
        return resp

    @page()
    async def logout(request: Request):
        await run_in_threadpool(svc.users.end_session, request.state.sid)
        resp = RedirectResponse("/login", status_code=303)
        clear_cookie(resp, SESSION_COOKIE)
        return resp

    async def home(request: Request):
        return RedirectResponse("/search", status_code=303)

    # -- search -----------------------------------------------------------------------------------

    def search_filter(q) -> tuple[dict, str]:
        raw = {"text": q.get("text", ""), "section": q.get("section", ""), "category": q.get("category", ""),
               "country": q.get("country", ""), "date_from": q.get("from", ""), "date_to": q.get("to", "")}
        fields = {"date_from": "from", "date_to": "to"}
        try:
            flt = validate_filter({k: v.strip() for k, v in raw.items()})
        except ValidationError as exc:
            raise FormError(fields.get(exc.field, exc.field), str(exc)) from None
        scope = q.get("scope", "") or "local"
        if scope not in SCOPES:
            raise FormError("scope", f"scope: {scope!r} is not one of {', '.join(SCOPES)}")
        return flt, scope

    @page()
    async def search(request: Request):
        q = request.query_params
        values = {k: q.get(k, "") for k in ("text", "section", "category", "country", "from", "to", "scope")}
        if not any(values.values()) and "scope" not in q:
            return render(request, "search.html", values=values, result=None)
        try:
            flt, scope = search_filter(q)
        except FormError as exc:
            return render(request, "search.html", 400, values=values, result=None, error=str(exc), field=exc.field)
        token = q.get("page", "")
        try:
            result = await run_in_threadpool(
                lambda: svc.queries.ask(kind=peer_pb2.QUERY_KIND_SEARCH, flt=flt, scope=scope, nodes=[], limit=PAGE,
                                        group_by=[], deadline_ms=0, actor=actor(request), page_token=token))
        except ValidationError as exc:
            return render(request, "search.html", 400, values=values, result=None, error=str(exc), field="page")
        rows = [hit_row(h) for h in result["hits"]]
        nodes = [{"node": n["node"], "status": words.enum_name(node_pb2.NodeAnswerStatus.DESCRIPTOR, n["status"]),
                  "hits": n["hits"]} for n in result["nodes"]]
        answered = [n for n in nodes if n["status"] == "OK"]
        following = ""
        if result["next_page_token"]:
            following = "/search?" + urlencode({**{k: v for k, v in values.items() if v},
                                                "page": result["next_page_token"]})
        export_url = "/export?" + urlencode({**{k: v for k, v in values.items() if v},
                                             **({"page": token} if token else {})})
        labels = sorted({(r["tlp"], r["handling"]) for r in rows})
        return render(request, "search.html", values=values, rows=rows, nodes=nodes, answered=len(answered),
                      export_url=export_url, labels=labels,
                      silent=[n for n in nodes if n["status"] != "OK"], next_url=following,
                      result=result, complete=result["complete"])

    @page("export")
    async def export(request: Request):
        """The hits of one search page as JSON lines, each with its TLP and handling; audited as an export."""
        q = request.query_params
        try:
            flt, scope = search_filter(q)
        except FormError as exc:
            return error_page(request, 400, str(exc))
        who = actor(request)

        def run() -> list[dict]:
            result = svc.queries.ask(kind=peer_pb2.QUERY_KIND_SEARCH, flt=flt, scope=scope, nodes=[], limit=PAGE,
                                     group_by=[], deadline_ms=0, actor=who, page_token=q.get("page", ""))
            lines = []
            for h in result["hits"]:
                line = {"origin": h["origin"], "record_id": h["record_id"], "version": h["version"],
                        "kind": kind_name(h["kind"]), "held": h["held"], "summary": pb_to_dict(h["summary"]),
                        "tlp": words.tlp_name(h["tlp"]) if h["tlp"] else None,
                        "handling": words.handling_name(h["handling"])}
                if h["held"] and h["record"] is not None and h["record"].body:
                    line["body"] = seizure_from_bytes(h["record"].body)
                lines.append(line)
            now = rfc3339(svc.clock.now())
            from rilo_node.store.db import audit_txn

            keys = [[x["origin"], x["record_id"], x["version"], "record" if x["held"] else "notice"] for x in lines]
            svc.store.write(lambda conn: audit_txn(conn, at=now, actor=who, action="export", keys=keys,
                                                   query_id=result["query_id"],
                                                   detail={"filter": flt, "scope": scope, "format": "jsonl"}))
            return lines

        try:
            lines = await run_in_threadpool(run)
        except ValidationError as exc:
            return error_page(request, 400, str(exc))
        body = "".join(json.dumps(line, sort_keys=True) + "\n" for line in lines)
        return Response(body, media_type="application/x-ndjson", headers={
            "content-disposition": 'attachment; filename="rilo-search.jsonl"'})

    def hit_row(h: dict) -> dict:
        s = h["summary"]
        return {"origin": h["origin"], "record_id": h["record_id"], "version": h["version"], "held": h["held"],
                "date": s.seizure_date, "country": s.country,
                "sections": ", ".join(words.section_name(x) for x in s.sections),
                "categories": ", ".join(words.category_name(x) for x in s.categories),
                "tlp": words.tlp_name(h["tlp"]) if h["tlp"] else "UNSET", "handling": words.handling_name(h["handling"]),
                "href": f"/records/{quote(h['origin'], safe='')}/{quote(h['record_id'], safe='')}"}

    # -- a record -----------------------------------------------------------------------------------

    def record_view(origin: str, record_id: str, who: AuditActor) -> dict:
        rec = svc.store.get_record(origin, record_id)
        if rec is None:
            raise NotFoundError("no such record")
        header = record_pb2.RecordHeader.FromString(rec.header)
        signed = record_pb2.SignedRecord(header=rec.header, body=rec.body or b"", annex=rec.annex or b"",
                                         signature=rec.signature, key_id=rec.key_id)
        from rilo_node.core.signing import verify_record

        try:
            verify_record(signed, svc.keyring)
            verified = True
        except SignatureError:
            verified = False
        gone = rec.withdrawn or rec.retracted
        body = None
        if not gone and header.kind == record_pb2.RECORD_KIND_SEIZURE and rec.body:
            body = seizure_from_bytes(rec.body)
        elif not gone and header.kind == record_pb2.RECORD_KIND_MESSAGE and rec.body:
            body = pb_to_dict(operation_pb2.OperationMessage.FromString(rec.body))
        annex = annex_from_bytes(rec.annex) if rec.annex and not gone else None
        policy = pb_to_dict(header.policy)
        now = rfc3339(svc.clock.now())
        from rilo_node.store.db import audit_txn

        svc.store.write(lambda conn: audit_txn(conn, at=now, actor=who, action="get",
                                               keys=[[rec.origin, rec.record_id, rec.version]]))
        return {"origin": rec.origin, "record_id": rec.record_id, "version": rec.version,
                "kind": kind_name(header.kind), "created_at": header.created_at, "signer": rec.key_id,
                "verified": verified, "withdrawn": gone, "body": body, "annex": annex, "policy": policy,
                "tlp": policy.get("tlp", "UNSET"), "handling": policy.get("handling", "H0"),
                "share": words.scope_words(policy.get("share"), "REGION"),
                "discover": words.scope_words(policy.get("discover"), "GLOBAL"),
                "annex_scope": words.scope_words(policy.get("annex"), "ORIGIN"),
                "handling_note": policy.get("handling_note", ""), "own": rec.origin == svc.node_id,
                "released": svc.book.released_to(rec.record_id) if rec.origin == svc.node_id else (),
                "disclosures": svc.disclosures(rec.record_id) if rec.origin == svc.node_id and svc.disclosures
                else None}

    @page()
    async def record(request: Request):
        origin, record_id = request.path_params["origin"], request.path_params["record_id"]
        view = await run_in_threadpool(record_view, origin, record_id, actor(request))
        return render(request, "record.html", r=view)

    # -- statistics ---------------------------------------------------------------------------------

    @page()
    async def stats(request: Request):
        q = request.query_params
        values = {k: q.get(k, "") for k in ("text", "section", "category", "country", "from", "to", "scope")}
        group = [g for g in q.getlist("group_by") if g] or (["section"] if not q else [])
        values["group_by"] = group
        if not q:
            return render(request, "stats.html", values=values, groups=None, fields=GROUP_FIELDS)
        try:
            flt, scope = search_filter(q)
            try:
                group = validate_group_by(group)
            except ValidationError as exc:
                raise FormError("group_by", str(exc)) from None
        except FormError as exc:
            return render(request, "stats.html", 400, values=values, groups=None, fields=GROUP_FIELDS,
                          error=str(exc), field=exc.field)
        result = await run_in_threadpool(
            lambda: svc.queries.ask(kind=peer_pb2.QUERY_KIND_STATS, flt=flt, scope=scope, nodes=[], limit=0,
                                    group_by=group, deadline_ms=0, actor=actor(request)))
        groups = [{"key": " / ".join(key), "cases": cases, "items": items} for key, (cases, items) in result["groups"]]
        nodes = [{"node": n["node"], "status": words.enum_name(node_pb2.NodeAnswerStatus.DESCRIPTOR, n["status"])}
                 for n in result["nodes"]]
        return render(request, "stats.html", values=values, groups=groups, fields=GROUP_FIELDS, group=group,
                      chart=bar_chart(groups[:20]), nodes=nodes,
                      answered=sum(1 for n in nodes if n["status"] == "OK"))

    # -- requests -----------------------------------------------------------------------------------

    def summary_row(s) -> dict:
        return {"origin": s.key.origin, "record_id": s.key.record_id, "requester": s.requester,
                "addressee": s.addressee, "subject": s.subject, "due_date": s.due_date,
                "status": words.request_status(s.status), "overdue": s.overdue, "urgency": words.urgency(s.urgency),
                "href": f"/requests/{quote(s.key.origin, safe='')}/{quote(s.key.record_id, safe='')}"}

    @page()
    async def requests_list(request: Request):
        def load():
            return ([summary_row(s) for s in svc.requests.summaries(box="INBOX", limit=200)],
                    [summary_row(s) for s in svc.requests.summaries(box="OUTBOX", limit=200)])
        inbox, outbox = await run_in_threadpool(load)
        return render(request, "requests.html", inbox=inbox, outbox=outbox)

    @page()
    async def request_show(request: Request):
        key = record_pb2.RecordKey(origin=request.path_params["origin"], record_id=request.path_params["record_id"])
        got = await run_in_threadpool(svc.requests.get, key)
        return render(request, "request.html", s=summary_row(got.summary), req=got.request,
                      events=[pb_to_dict(e) for e in got.events], words=words,
                      answerable=got.summary.addressee == svc.node_id,
                      statuses=RESPONSE_STATUSES)

    @page("request")
    async def request_respond(request: Request):
        form = request.state.form
        key = record_pb2.RecordKey(origin=request.path_params["origin"], record_id=request.path_params["record_id"])
        status = str(form.get("status", ""))
        text = str(form.get("text", ""))
        if status not in RESPONSE_STATUSES:
            got = await run_in_threadpool(svc.requests.get, key)
            return render(request, "request.html", 400, s=summary_row(got.summary), req=got.request,
                          events=[pb_to_dict(e) for e in got.events], answerable=True, error="Status: choose one",
                          field="status", typed=text,
                          statuses=RESPONSE_STATUSES)
        try:
            await run_in_threadpool(lambda: svc.requests.respond(
                key, request_pb2.ResponseStatus.Value(status), text=text, reason=str(form.get("reason", "")),
                actor=actor(request)))
        except ValidationError as exc:
            got = await run_in_threadpool(svc.requests.get, key)
            return render(request, "request.html", 400, s=summary_row(got.summary), req=got.request,
                          events=[pb_to_dict(e) for e in got.events], answerable=True, error=str(exc),
                          field=exc.field, typed=text,
                          statuses=RESPONSE_STATUSES)
        return RedirectResponse(request.url.path, status_code=303)

    def new_request_values(q) -> dict:
        return {k: str(q.get(k, "")) for k in ("origin", "record_id", "subject", "facts", "due_date", "legal_basis",
                                                "contact", "addressee")}

    def addressees_of(text: str) -> list[str]:
        """The Addressee field: one node id, or several separated by commas (the nodes a hit check found)."""
        return list(dict.fromkeys(a.strip() for a in text.split(",") if a.strip()))

    @page("request")
    async def request_new(request: Request):
        values = new_request_values(request.query_params)
        values["addressee"] = values["addressee"] or values["origin"]
        return render(request, "request_new.html", values=values, several=len(addressees_of(values["addressee"])) > 1)

    @page("request")
    async def request_create(request: Request):
        values = new_request_values(request.state.form)
        to = addressees_of(values["addressee"])
        who = actor(request)

        def file_all() -> list:
            """One request to each addressee, every one checked first: all are filed, or none."""
            msgs = []
            for node in to:
                msg = request_pb2.AssistanceRequest(
                    addressee=node, subject=values["subject"], facts=values["facts"],
                    due_date=values["due_date"].strip(), legal_basis=values["legal_basis"], contact=values["contact"],
                    assistance=request_pb2.ASSISTANCE_TYPE_INFORMATION, urgency=request_pb2.URGENCY_ROUTINE)
                if values["origin"] and values["record_id"]:
                    msg.records.add(origin=values["origin"], record_id=values["record_id"])
                check_request(msg, svc.node_id, svc.directory(), svc.clock.now().date())
                msgs.append(msg)
            return [svc.requests.create(msg, actor=who)[0] for msg in msgs]

        try:
            if not to:
                raise ValidationError("addressee", "is required")
            for name in ("subject", "due_date"):
                if not values[name].strip():
                    raise ValidationError(name, "is required")
            keys = await run_in_threadpool(file_all)
        except ValidationError as exc:
            return render(request, "request_new.html", 400, values=values, error=str(exc),
                          field=exc.field.removeprefix("request."), several=len(to) > 1)
        if len(keys) > 1:
            return RedirectResponse("/requests", status_code=303)
        return RedirectResponse(f"/requests/{quote(keys[0].origin, safe='')}/{quote(keys[0].record_id, safe='')}",
                                status_code=303)

    # -- hit/no-hit ---------------------------------------------------------------------------------

    hit_labels = {"type": "Type", "value": "Value", "case_ref": "Case reference"}

    def hit_field(field: str) -> str:
        """The form field a ValidationError of the node names (`identifiers[0].value` is the Value)."""
        return field.rsplit(".", 1)[-1] if field.startswith("identifiers[") else field

    def hit_result(r) -> dict:
        """One IdentifierCheck as the page shows it; `others`: the nodes that hit but this one (a request's
        addressees)."""
        type_name = words.enum_name(seizure_pb2.IdentifierType.DESCRIPTOR, r.type)
        nodes = [{"node": a.node, "status": words.enum_name(node_pb2.NodeAnswerStatus.DESCRIPTOR, a.status),
                  "quota": "quota" in a.error} for a in r.nodes]
        others = [n for n in r.hits if n != svc.node_id]
        return {"type": type_name, "value": r.value, "hits": list(r.hits), "complete": r.complete, "nodes": nodes,
                "answered": sum(1 for n in nodes if n["status"] == "OK"),
                "silent": [n for n in nodes if n["status"] != "OK"],
                "quota": [n["node"] for n in nodes if n["quota"]], "query_id": r.query_id, "others": others}

    def request_url(type_name: str, case_ref: str, nodes: list[str]) -> str:
        """The request form for the nodes that hit, as `hitcheck` prints `request create` for each: the
        subject names the type and the case, never the value (which stays out of the URL too)."""
        return "/requests/new?" + urlencode({"addressee": ",".join(nodes),
                                             "subject": f"hit/no-hit: {type_name} (case {case_ref})"})

    # Analysts and admins, as for filing a request: a check spends this node's daily allowance at every node
    # and leads to a request. A viewer has no link to it and gets 403.
    @page("request")
    async def hitcheck_form(request: Request):
        return render(request, "hitcheck.html", values={"type": identifiers.TYPES[0], "value": "", "case_ref": ""},
                      types=identifiers.TYPES, result=None)

    @page("request")
    async def hitcheck_post(request: Request):
        form = request.state.form
        values = {k: str(form.get(k, "")) for k in ("type", "value", "case_ref")}
        ctx = {"values": values, "types": identifiers.TYPES}
        type_name, case_ref = values["type"].strip().upper(), values["case_ref"].strip()
        try:
            if type_name not in identifiers.TYPES:
                raise ValidationError("type", f"choose one of {', '.join(identifiers.TYPES)}")
            value = identifiers.normalise(type_name, values["value"], "value")  # bad input is never sent
            if not case_ref:
                raise ValidationError("case_ref", "is required: the case this check is for")
            number = seizure_pb2.IdentifierType.Value(f"IDENTIFIER_TYPE_{type_name}")
            who = actor(request)
            [r] = await run_in_threadpool(lambda: svc.hitcheck.check([(number, value)], case_ref, actor=who,
                                                                     user=who.user))
        except ValidationError as exc:
            field = hit_field(exc.field)
            return render(request, "hitcheck.html", 400, **ctx, result=None, field=field,
                          error=f"{hit_labels.get(field, field)}: {exc.message}")
        except QuotaExceededError as exc:
            return render(request, "hitcheck.html", 429, **ctx, result=None, error=str(exc), field="")
        result = hit_result(r)
        return render(request, "hitcheck.html", **ctx, result=result, case_ref=case_ref,
                      request_url=request_url(result["type"], case_ref, result["others"]) if result["others"] else "")

    # -- operations ---------------------------------------------------------------------------------

    def visible_ops(user: dict) -> list:
        return [i for i in svc.operations.list() if Users.may_see_operation(user, i.operation.operation_id)]

    def op_of(user: dict, op_id: str):
        if not Users.may_see_operation(user, op_id):
            raise NotFoundError("no such operation")
        return svc.operations.info(op_id)  # NotMemberError (a NotFoundError) where this node is no member

    @page()
    async def operations(request: Request):
        ops = await run_in_threadpool(visible_ops, request.state.user)
        return render(request, "operations.html", ops=ops)

    def room(user: dict, op_id: str) -> dict:
        info = op_of(user, op_id)
        msgs = svc.operations.messages(op_id)
        flt = {"group": op_id}
        records = svc.queries.local_hits(flt, 100, svc.node_id) if hasattr(svc.queries, "local_hits") else []
        return {"info": info, "op": info.operation, "messages": [message_row(seq, m) for seq, m in msgs],
                "last_seq": max([seq for seq, _ in msgs], default=0), "records": group_records(records)}

    def group_records(records) -> list[dict]:
        out = []
        for r in records:
            try:
                out.append({"origin": r.origin, "record_id": r.record_id, "href":
                            f"/records/{quote(r.origin, safe='')}/{quote(r.record_id, safe='')}"})
            except AttributeError:
                continue
        return out

    @page()
    async def operation(request: Request):
        op_id = request.path_params["op_id"]
        view = await run_in_threadpool(room, request.state.user, op_id)
        return render(request, "operation.html", **view, values={}, template="message")

    @page("post")
    async def operation_post(request: Request):
        op_id = request.path_params["op_id"]
        form = request.state.form
        values = {k: str(form.get(k, "")) for k in ("template", "text", "seizure_date", "country", "section",
                                                     "category", "quantity", "unit", "description")}
        template = values["template"] or "message"

        def post():
            op_of(request.state.user, op_id)
            text = values["text"]
            if template not in ("message", "warning", "feedback", "seizure"):
                raise ValidationError("template", "must be Message, Warning, Feedback or Seizure")
            if len(text) > MAX_MESSAGE:
                raise ValidationError("text", f"Message: at most {MAX_MESSAGE} characters (this one has {len(text)})")
            refs = []
            if template == "seizure":
                sub = {"seizure_date": values["seizure_date"], "country": values["country"].upper(),
                       "items": [{"section": values["section"], "category": values["category"],
                                  **({"quantity": float(values["quantity"])} if values["quantity"] else {}),
                                  **({"unit": values["unit"]} if values["unit"] else {})}],
                       "description": values["description"],
                       "policy": {"share": {"scope": "GROUP", "group": op_id}}}
                if values["quantity"]:
                    try:
                        float(values["quantity"])
                    except ValueError:
                        raise ValidationError("quantity", "must be a number") from None
                from rilo_node.core.seizure import parse_submission

                out = svc.book.submit_seizure(parse_submission(sub))
                refs = [f"{out.origin}/{out.record_id}"]
                text = (f"Seizure: {values['section']} / {values['category']}, {values['country'].upper()} "
                        f"{values['seizure_date']}. {values['description']}\n{text}").strip()[:MAX_MESSAGE]
            elif template in ("warning", "feedback"):
                if not text.strip():
                    raise ValidationError("text", "Message: is required")
                text = f"{template.capitalize()}: {text}"
            elif not text.strip():
                raise ValidationError("text", "Message: is required")
            info = svc.operations.post(op_id, text, refs)
            now = rfc3339(svc.clock.now())
            from rilo_node.store.db import audit_txn

            svc.store.write(lambda conn: audit_txn(conn, at=now, actor=actor(request), action="post",
                                                   detail={"operation_id": op_id, "template": template},
                                                   keys=[[info.origin, info.record_id, 1]]))
            return info

        try:
            await run_in_threadpool(post)
        except ValidationError as exc:
            view = await run_in_threadpool(room, request.state.user, op_id)
            field = {"text": "text"}.get(exc.field, exc.field)
            return render(request, "operation.html", 400, **view, values=values, template=template,
                          error=str(exc), field=field)
        except (ValueError, RiloError) as exc:
            view = await run_in_threadpool(room, request.state.user, op_id)
            return render(request, "operation.html", 400, **view, values=values, template=template,
                          error=str(exc), field=getattr(exc, "field", "text"))
        return RedirectResponse(f"/operations/{quote(op_id, safe='')}", status_code=303)

    @page()
    async def operation_events(request: Request):
        from sse_starlette.sse import EventSourceResponse, ServerSentEvent

        op_id = request.path_params["op_id"]
        await run_in_threadpool(op_of, request.state.user, op_id)
        raw = request.headers.get("last-event-id") or request.query_params.get("after", "0")
        try:
            after = max(0, int(raw))
        except ValueError:
            return PlainTextResponse("Last-Event-ID: not a number", status_code=400)

        async def stream():
            nonlocal after
            event = asyncio.Event()
            entry = live.add(event)
            try:
                while not live.closing:
                    event.clear()
                    try:
                        batch = await anyio.to_thread.run_sync(svc.operations.messages, op_id, "", after,
                                                               limiter=stream_limiter)
                    except NotFoundError:
                        return  # this node left the operation
                    for seq, m in sorted(batch, key=lambda x: x[0]):
                        after = max(after, seq)
                        yield ServerSentEvent(data=json.dumps(message_row(seq, m)), id=str(seq), event="message")
                    await event.wait()
            finally:
                live.remove(entry)

        return EventSourceResponse(stream(), ping=15, send_timeout=30)

    def message_row(seq: int, m) -> dict:
        return {"seq": seq, "origin": m.origin, "record_id": m.record_id, "created_at": m.created_at,
                "text": m.text, "refs": list(m.refs)}

    # -- the user's own account -----------------------------------------------------------------------

    @page()
    async def account(request: Request):
        return render(request, "account.html")

    @page()
    async def account_post(request: Request):
        form = request.state.form
        current, new, again = (str(form.get(k, "")) for k in ("current", "new", "again"))
        try:
            if new != again:
                raise ValidationError("again", "not the same as the new password")
            await hashing.run(svc.users.change_own_password, request.state.user["name"], current, new)
        except ValidationError as exc:
            labels = {"current": "Current password", "new": "New password", "again": "New password again"}
            return render(request, "account.html", 400, error=f"{labels.get(exc.field, exc.field)}: {exc.message}",
                          field=exc.field)
        resp = RedirectResponse("/login?" + urlencode({"next": "/search"}), status_code=303)
        clear_cookie(resp, SESSION_COOKIE)  # every session of the user ended: sign in with the new password
        return resp

    # -- admin --------------------------------------------------------------------------------------

    @page("admin")
    async def admin(request: Request):
        def load():
            from rilo_node.store.events import list_security_events

            peers = [pb_to_dict(p) for p in svc.peer_states()]
            events = list_security_events(svc.store.reader, since="", kind="", after_id=0, limit=50)
            return peers, events, svc.users.list()
        peers, events, users = await run_in_threadpool(load)
        return render(request, "admin.html", peers=peers, events=events, users=users)

    routes = [
        Route("/", home),
        Route("/login", login_get, methods=["GET"]),
        Route("/login", login_post, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/search", search),
        Route("/export", export),
        Route("/records/{origin}/{record_id}", record),
        Route("/stats", stats),
        Route("/requests", requests_list),
        Route("/requests/new", request_new, methods=["GET"]),
        Route("/requests/new", request_create, methods=["POST"]),
        Route("/requests/{origin}/{record_id}", request_show, methods=["GET"]),
        Route("/requests/{origin}/{record_id}", request_respond, methods=["POST"]),
        Route("/hitcheck", hitcheck_form, methods=["GET"]),
        Route("/hitcheck", hitcheck_post, methods=["POST"]),
        Route("/operations", operations),
        Route("/operations/{op_id}", operation, methods=["GET"]),
        Route("/operations/{op_id}", operation_post, methods=["POST"]),
        Route("/operations/{op_id}/events", operation_events),
        Route("/admin", admin),
        Route("/account", account, methods=["GET"]),
        Route("/account", account_post, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]

    async def not_found(request: Request, exc):
        request.state.user = None
        if await authenticated(request) or request.url.path.startswith("/static/") or \
                request.url.path == "/favicon.ico":
            return error_page(request, 404, "There is nothing here, or it is not yours to see.")
        return RedirectResponse("/login?" + urlencode({"next": request.url.path}), status_code=303)

    async def method_not_allowed(request: Request, exc):
        return PlainTextResponse("method not allowed", status_code=405)

    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: method_not_allowed})
    app.state.live = live
    app.state.hashing = hashing
    app.state.services = svc
    return SecurityHeaders(app)


def bar_chart(groups: list[dict]) -> dict | None:
    """The bars of an inline SVG chart (cases by group), drawn by the template with attributes only: the
    page's CSP allows no inline style."""
    if not groups:
        return None
    top = max(g["cases"] for g in groups) or 1
    bar_h, gap, label_w, width = 18, 6, 220, 640
    bars = []
    for i, g in enumerate(groups):
        w = max(1, round((width - label_w - 60) * g["cases"] / top))
        y = i * (bar_h + gap)
        bars.append({"label": g["key"][:32], "x": label_w, "y": y, "w": w, "h": bar_h, "value": g["cases"],
                     "ty": y + bar_h - 5})
    return {"bars": bars, "width": width, "height": len(groups) * (bar_h + gap), "label_w": label_w}
