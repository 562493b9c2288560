"""Route decorators that authenticate the three kinds of principal and enforce permissions.

    @cadre_required              mini-program session token (Authorization: Bearer ...)
    @admin_required(P.X)         console session token + the permission (a declared Permission member);
                                 refused while the admin must first choose their own password
    @device_signed               HMAC-signed device request (see backend.core.signing)
    @rate_limited("<rule>", ...)  counts hits per client IP with `limits`

The authenticated principal is put on `request.ctx.principal`.
"""

from __future__ import annotations

from functools import wraps

from sanic.request import Request

from backend.accounts.service import admins, cadres, devices
from backend.core.audit import Actor
from backend.core.errors import AuthError
from backend.core.permissions import Permission, Scope
from backend.core.web.permissions import requires


def runtime(request: Request):
    return request.app.ctx.runtime


def bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def client_ip(request: Request) -> str:
    return request.remote_addr or request.ip or "unknown"


def cadre_required(handler):
    @wraps(handler)
    async def wrapper(request: Request, *args, **kwargs):
        request.ctx.principal = await cadres.authenticate(runtime(request).cadre_auth, bearer_token(request))
        return await handler(request, *args, **kwargs)

    wrapper.openapi_security = "cadre_session"
    return wrapper


def admin_required(permission: Permission | None, *, while_password_change_due: bool = False):
    """Authenticate the admin and require `permission` (None: any logged-in admin). An admin who
    must choose their own password first is refused (accounts.password_change_required) unless
    `while_password_change_due`: the routes that let them do it, see who they are or leave."""

    def decorator(handler):
        @wraps(handler)
        async def wrapper(request: Request, *args, **kwargs):
            principal = await admins.authenticate(
                runtime(request).admin_sessions,
                bearer_token(request),
                while_password_change_due=while_password_change_due,
            )
            if permission and not principal.can(permission):
                raise AuthError.PERMISSION_DENIED.error()
            request.ctx.principal = principal
            return await handler(request, *args, **kwargs)

        wrapper.openapi_security = "admin_session"
        return requires(wrapper, permission)

    return decorator


def device_signed(handler):
    @wraps(handler)
    async def wrapper(request: Request, *args, **kwargs):
        rt = runtime(request)
        request.ctx.principal = await devices.authenticate_request(
            rt.cipher,
            rt.redis,
            method=request.method,
            path=request.path,
            query=request.query_string,
            headers=request.headers,
            body=request.body,
            clock_skew=rt.settings.device_clock_skew,
        )
        return await handler(request, *args, **kwargs)

    wrapper.openapi_security = "device_signature"
    return wrapper


def rate_limited(rule_setting: str, scope: str, *, per_principal: bool = False):
    """Refuse with 429 past the rule named by `rule_setting` (a Settings attribute), per client
    IP, or per authenticated cadre with `per_principal` (a whole agency may share one NAT address;
    put it below @cadre_required)."""

    def decorator(handler):
        @wraps(handler)
        async def wrapper(request: Request, *args, **kwargs):
            rt = runtime(request)
            who = f"person:{request.ctx.principal.person_id}" if per_principal else client_ip(request)
            await rt.limiter.hit(getattr(rt.settings, rule_setting), scope, who)
            return await handler(request, *args, **kwargs)

        return wrapper

    return decorator


def actor(request: Request) -> Actor:
    principal = request.ctx.principal
    return Actor(principal.admin_id, principal.username, request.ctx.request_id, client_ip(request))


def scope(request: Request, permission: Permission) -> Scope:
    """What `permission` reaches for the admin of this request."""
    return request.ctx.principal.scope(permission)
