"""Schema URNs and other protocol constants of RFC 7643 and RFC 7644."""

from __future__ import annotations

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
SCHEMA_URN = "urn:ietf:params:scim:schemas:core:2.0:Schema"
RESOURCE_TYPE_URN = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SERVICE_PROVIDER_CONFIG_URN = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"

LIST_RESPONSE_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_REQUEST_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
BULK_REQUEST_URN = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE_URN = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"

# Entra adds this Microsoft-private URI to the schemas of every group it creates.
MICROSOFT_GROUP_URI = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"

# Every SCIM extension URN starts with this; custom Entra extensions use it too.
EXTENSION_PREFIX = "urn:ietf:params:scim:schemas:extension:"

MEDIA_TYPE = "application/scim+json"
