"""The API contract: one description of every endpoint, read by the load test and the stand-in.

    from loadtest import contract
    contract.API                      # the 13 endpoints
    contract.SIGN_IN.build_body(data) # what the load test sends
    contract.SIGN_IN.validate_body(b) # what the stand-in accepts (ContractViolation: DRF's 400 body)
    contract.SIGN_IN.check(answer)    # what the load test accepts back (None, or why not)

``endpoints`` holds the endpoints (edit it when the API changes); ``spec`` the vocabulary.
"""

from loadtest.contract.endpoints import (
    CHAT_THREAD,
    CONTACT_US,
    CREATE_COLLECTION,
    DASHBOARD,
    ENDPOINTS,
    EVIDENCE,
    HELP_ARTICLES,
    LIBRARY,
    LIBRARY_CATEGORIES,
    MY_COLLECTIONS,
    MYSTERY_BOX,
    SEARCH,
    SIGN_IN,
    SIGN_UP,
    TOKEN_REFRESH,
    TOOLS_AND_TEMPLATES,
)
from loadtest.contract.spec import Contract, ContractViolation, Endpoint, Field, RequestData, Timing

API = Contract(ENDPOINTS)
"""Every endpoint the load test exercises."""

API_KEY_HEADER = "X-API-Token"
"""The app's API key travels in this header on every request; the backend refuses requests without it."""

__all__ = [
    "API",
    "API_KEY_HEADER",
    "CHAT_THREAD",
    "CONTACT_US",
    "CREATE_COLLECTION",
    "DASHBOARD",
    "ENDPOINTS",
    "EVIDENCE",
    "HELP_ARTICLES",
    "LIBRARY",
    "LIBRARY_CATEGORIES",
    "MYSTERY_BOX",
    "MY_COLLECTIONS",
    "SEARCH",
    "SIGN_IN",
    "SIGN_UP",
    "TOKEN_REFRESH",
    "TOOLS_AND_TEMPLATES",
    "Contract",
    "ContractViolation",
    "Endpoint",
    "Field",
    "RequestData",
    "Timing",
]
