"""Discovery documents: /ServiceProviderConfig, /ResourceTypes and /Schemas (RFC 7643 §5-§7).

The schema documents are generated from the same definitions the marshmallow schemas carry, so
they describe exactly what the server parses and renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .constants import RESOURCE_TYPE_URN, SCHEMA_URN, SERVICE_PROVIDER_CONFIG_URN
from .definitions import AttributeDef, ResourceDef, SchemaDef
from .schemas import COMMON_ATTRIBUTES

@dataclass(frozen=True, slots=True)
class ProviderFeatures:
    """The service provider's supported features, as /ServiceProviderConfig reports them."""

    max_results: int
    # Bulk limits (RFC 7644 §3.7.4): operations per request and bytes of the request body.
    max_bulk_operations: int = 1000
    max_payload_size: int = 4 * 1024 * 1024


def service_provider_config(features: ProviderFeatures, base_url: str) -> dict[str, Any]:
    """Return the ServiceProviderConfig document (RFC 7643 §5)."""
    return {
        "schemas": [SERVICE_PROVIDER_CONFIG_URN],
        "patch": {"supported": True},
        "bulk": {"supported": True, "maxOperations": features.max_bulk_operations,
                 "maxPayloadSize": features.max_payload_size},
        "filter": {"supported": True, "maxResults": features.max_results},
        "changePassword": {"supported": False},
        "sort": {"supported": True},
        "etag": {"supported": True},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "A shared secret token sent as 'Authorization: Bearer <token>'.",
            "primary": True,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": f"{base_url}/ServiceProviderConfig"},
    }


def resource_type(definition: ResourceDef, base_url: str) -> dict[str, Any]:
    """Return the ResourceType document of ``definition`` (RFC 7643 §6)."""
    return {
        "schemas": [RESOURCE_TYPE_URN],
        "id": definition.name,
        "name": definition.name,
        "endpoint": definition.endpoint,
        "description": definition.core.description,
        "schema": definition.core.id,
        "schemaExtensions": [{"schema": ext.id, "required": False} for ext in definition.extensions],
        "meta": {"resourceType": "ResourceType", "location": f"{base_url}/ResourceTypes/{definition.name}"},
    }


def _attribute(definition: AttributeDef) -> dict[str, Any]:
    document: dict[str, Any] = {
        "name": definition.name,
        "type": definition.type,
        "multiValued": definition.multi_valued,
        "description": definition.description,
        "required": definition.required,
        "caseExact": definition.case_exact,
        "mutability": definition.mutability,
        "returned": definition.returned,
        "uniqueness": definition.uniqueness,
    }
    if definition.canonical_values:
        document["canonicalValues"] = list(definition.canonical_values)
    if definition.reference_types:
        document["referenceTypes"] = list(definition.reference_types)
    if definition.sub_attributes:
        document["subAttributes"] = [_attribute(sub) for sub in definition.sub_attributes]
    return document


def schema(definition: SchemaDef, base_url: str) -> dict[str, Any]:
    """Return the Schema document of ``definition`` (RFC 7643 §7)."""
    return {
        "schemas": [SCHEMA_URN],
        "id": definition.id,
        "name": definition.name,
        "description": definition.description,
        "attributes": [_attribute(a) for a in definition.attributes if a.name not in COMMON_ATTRIBUTES],
        "meta": {"resourceType": "Schema", "location": f"{base_url}/Schemas/{definition.id}"},
    }


def all_schemas(resources: tuple[ResourceDef, ...]) -> list[SchemaDef]:
    """Return every core and extension schema of ``resources``, each once."""
    seen: dict[str, SchemaDef] = {}
    for resource in resources:
        for definition in (resource.core, *resource.extensions):
            seen.setdefault(definition.id, definition)
    return list(seen.values())
