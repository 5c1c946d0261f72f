"""Who may see the page: sessions from the cookie, CSRF on every POST, safe headers.

Every page and API answers only a live session, checked before anything of the request
is read beyond its cookie; a POST must also come from the page itself (its Origin, when
the browser says one) and carry the session's CSRF token (a form field or the
`X-CSRF-Token` header), checked before anything is done.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from agent.channels.members import Members, WebSession

_LOGGER = logging.getLogger(__name__)

COOKIE = "dobby_session"
CSRF_HEADER = "X-CSRF-Token"
FORM_LIMIT = 64 * 1024
"""Bytes a form may have. The largest is the house page's posted without the script: every
slider's value with the tap, about 40 bytes each (12 KB at 500 entities; aiohttp reads at
most 1,000 fields of a form, some 1,500 entities' sliders)."""
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
"""Sent with every page: nothing from elsewhere runs here, nothing is framed or kept."""

Handler = Callable[[web.Request, WebSession], Awaitable[web.StreamResponse]]
Refuse = Callable[[web.Request, int, str], web.StreamResponse]


def session_of(request: web.Request, members: Members) -> WebSession | None:
    """The live session the request's cookie names, or None."""
    secret = request.cookies.get(COOKIE, "")
    if not secret or len(secret) > 128:
        return None
    return members.web_session(secret)


def same_origin(request: web.Request) -> bool:
    """Whether a POST came from this site (browsers say where a form was sent from)."""
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return request.headers.get("Sec-Fetch-Site", "same-origin") in ("same-origin", "none")
    return origin.split("://", 1)[-1] == request.host


def csrf_ok(given: str | None, session: WebSession) -> bool:
    """Whether a request carries the session's CSRF token."""
    return bool(given) and hmac.compare_digest(
        str(given).encode("utf-8", "surrogateescape"), session.csrf.encode()
    )


def guard(
    members: Members, handler: Handler, refuse: Refuse, *, post: bool = False
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """A handler that runs only for a live session (and, for a POST, a good CSRF token)."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        session = session_of(request, members)
        if session is None:
            return refuse(request, 401, "Please sign in with a link from Dobby.")
        if post:
            if not same_origin(request):
                _LOGGER.warning("A web request from another site was refused")
                return refuse(request, 403, "That request did not come from this page.")
            if (request.content_length or 0) > FORM_LIMIT:
                return refuse(request, 413, "That form is too large.")
            given = request.headers.get(CSRF_HEADER)
            form = await request.post()  # kept by the request: handlers read it again
            if given is None:
                field = form.get("csrf")
                given = field if isinstance(field, str) else None
            if not csrf_ok(given, session):
                _LOGGER.warning("A web request without the right CSRF token was refused")
                return refuse(request, 403, "The form's security token is missing or wrong.")
        response = await handler(request, session)
        if not response.prepared:
            response.headers.extend(HEADERS)
        return response

    return guarded


def set_cookie(response: web.StreamResponse, secret: str, *, secure: bool, max_age: int) -> None:
    """The session cookie: HttpOnly, Secure behind HTTPS, and SameSite=Lax, so that a link
    to the page from a chat app or another site opens it signed in. A form on another site
    still gets nowhere: the browser sends no Lax cookie with it, and every POST is checked
    for its origin and CSRF token besides; no GET changes anything."""
    response.set_cookie(
        COOKIE,
        secret,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=secure,
    )


def clear_cookie(response: web.StreamResponse) -> None:
    """Forget the session cookie."""
    response.del_cookie(COOKIE, path="/")
