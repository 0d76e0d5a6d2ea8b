"""One served application: its settings and its use cases, wired to its object API."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ..config import RateLimit, RequestLimits, ScimSettings
from collections.abc import Mapping

from ..mapping.resolver import log_mapping_problems, resolve_user_mapping
from ..objectapi.port import LimetypeInfo, ObjectApi
from ..scim.discovery import ProviderFeatures
from .binding import UserBinding, bind_user_mapping
from .groups import GroupService
from .ids import ResourceIds
from .users import UserService

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ScimApplication:
    """Everything the web layer needs to serve one application."""

    name: str
    token: str
    users: UserService
    groups: GroupService
    features: ProviderFeatures
    binding: UserBinding
    api: ObjectApi
    limits: RequestLimits = RequestLimits()
    # None when the application has no request rate limit.
    rate_limit: RateLimit | None = None

    def close(self) -> None:
        """Release the application's database connections."""
        self.api.close()


def bind_application(settings: ScimSettings, limetypes: Mapping[str, LimetypeInfo]) -> UserBinding:
    """Resolve the application's mapping on ``limetypes`` and bind it to its User schema.

    Needs only the datamodel, so a host can run it before it opens or creates a database.
    Raises MappingError when the datamodel cannot carry the mapping.
    """
    mapping = resolve_user_mapping(
        limetypes, coworker_limetype=settings.coworker_limetype, extra=settings.mappings
    )
    return bind_user_mapping(mapping)


def build_application(settings: ScimSettings, api: ObjectApi, binding: UserBinding | None = None) -> ScimApplication:
    """Build the application's use cases on ``api``, binding its mapping unless given.

    Raises MappingError when the datamodel cannot carry the mapping.
    """
    if not settings.token:
        raise ValueError(f"application {settings.application} has no token")
    if binding is None:
        binding = bind_application(settings, api.limetypes)
    log_mapping_problems(settings.application, binding.mapping)
    ids = ResourceIds(legacy=settings.use_legacy_resource_ids)
    return ScimApplication(
        name=settings.application,
        token=settings.token,
        users=UserService(api, binding, ids, max_results=settings.max_results, limits=settings.limits),
        groups=GroupService(api, ids, max_results=settings.max_results, limits=settings.limits),
        features=ProviderFeatures(max_results=settings.max_results,
                                  max_payload_size=settings.limits.max_body_bytes),
        binding=binding,
        api=api,
        limits=settings.limits,
        rate_limit=settings.rate_limit,
    )
