"""One served application: its settings and its use cases, wired to its object API."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ..config import ScimSettings
from ..mapping.resolver import UserMapping, log_mapping_problems, resolve_user_mapping
from ..objectapi.port import ObjectApi
from ..scim.discovery import ProviderFeatures
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
    mapping: UserMapping
    api: ObjectApi

    def close(self) -> None:
        """Release the application's database connections."""
        self.api.close()


def build_application(settings: ScimSettings, api: ObjectApi) -> ScimApplication:
    """Resolve the mapping on ``api``'s datamodel and build the application's use cases.

    Raises MappingError when the datamodel cannot carry the mapping.
    """
    if not settings.token:
        raise ValueError(f"application {settings.application} has no token")
    mapping = resolve_user_mapping(api.limetypes)
    log_mapping_problems(settings.application, mapping)
    ids = ResourceIds(legacy=settings.use_legacy_resource_ids)
    return ScimApplication(
        name=settings.application,
        token=settings.token,
        users=UserService(api, mapping, ids, max_results=settings.max_results),
        groups=GroupService(api, ids, max_results=settings.max_results),
        features=ProviderFeatures(max_results=settings.max_results),
        mapping=mapping,
        api=api,
    )
