"""The 13 endpoints of the Amal Education API: the one place to change when the API changes.

The load test builds its requests from these definitions and checks the answers with them;
the stand-in API validates requests and answers by them. Each endpoint says what is evidence
and what is assumed.

Evidence: the original load test of this API (public repository
habibswe/Load-test-using-python-locast, December 2025) and a frontend that calls the same
backend. Every request there carries ``X-API-Token: <app API key>``; sign-in takes the email
as ``username``; tokens are SimpleJWT's (HS256, refresh rotation). Its runs against
production measured the response times in ``Timing``. Where the evidence is silent (the
answers of dashboard, search, tools, mystery box, library, my-collection, help articles), the
shapes are assumptions kept from the stand-in's first version, and the checks ask no more of
an answer than its type.
"""

from __future__ import annotations

from loadtest.contract.spec import (
    Choice,
    Email,
    Endpoint,
    Field,
    Password,
    Pattern,
    Text,
    Timing,
    has_keys,
    json_object,
    list_or_page,
    object_or_list,
    paginated,
)

EVIDENCE = "habibswe/Load-test-using-python-locast (Dec 2025)"

AUTHENTICATED_GETS = Timing(p50=420, p90=850, p95=1200, p99=2300)
"""Production's authenticated GETs, all together, as that load test measured them."""


def like_authenticated_gets(p50: float) -> Timing:
    """A median that was measured, with the tail ratios of the authenticated GETs (assumed)."""
    scale = p50 / AUTHENTICATED_GETS.p50
    base = AUTHENTICATED_GETS
    return Timing(p50=p50, p90=base.p90 * scale, p95=base.p95 * scale, p99=base.p99 * scale)


# The request fields, each with where the load test takes its value from.
_EMAIL = Field("email", Email(), source=lambda d: d.identity.email)
_PASSWORD = Field("password", Password(), source=lambda d: d.identity.password)

SIGN_UP = Endpoint(
    "POST",
    "/api/accounts/sign-up/",
    area="auth",
    auth=False,
    writes=True,
    status=201,
    body=(_EMAIL, _PASSWORD),
    check=has_keys("access", "refresh"),
    timing=like_authenticated_gets(1400),
    evidence=f"{EVIDENCE}: body {{email, password}}; 201 with access and refresh; 409 for an existing one",
    assumed="as slow as sign-in (password hashing)",
)
SIGN_IN = Endpoint(
    "POST",
    "/api/accounts/sign-in/",
    area="auth",
    auth=False,
    status=200,
    body=(
        Field("username", Email(), source=lambda d: d.identity.email, note="the email, named username"),
        # Any text: a wrong password is a 401, never judged by the sign-up validators.
        Field("password", Text(max_length=128), source=lambda d: d.identity.password),
    ),
    check=has_keys("access", "refresh"),
    timing=like_authenticated_gets(1400),
    evidence=f"{EVIDENCE}: body {{username, password}}; 200 with access, refresh and user fields "
    "(about 650 bytes); about 1.4 s against production",
    assumed="the tail ratios of the authenticated GETs",
)
TOKEN_REFRESH = Endpoint(
    "POST",
    "/api/accounts/token/refresh/",
    area="auth",
    auth=False,
    status=200,
    body=(Field("refresh", Text(max_length=4096), source=lambda d: d.refresh_token),),
    check=has_keys("access", "refresh"),
    timing=AUTHENTICATED_GETS,
    evidence=f"{EVIDENCE}: body {{refresh}}; 200 with access and refresh (SimpleJWT, rotation on)",
    assumed="a used refresh token is blacklisted (a second use answers 401); times of an authenticated GET",
)
DASHBOARD = Endpoint(
    "GET",
    "/api/dashboard/",
    area="dashboard",
    status=200,
    check=json_object,
    timing=AUTHENTICATED_GETS,
    evidence=f"{EVIDENCE}: the path, authenticated",
    assumed="the answer is a JSON object",
)
SEARCH = Endpoint(
    "GET",
    "/api/dashboard/v2/search/",
    area="dashboard",
    status=200,
    query=(
        # One search in ten is empty, as the evidence's own mix was.
        Field(
            "q",
            Text(max_length=200, blank=True),
            source=lambda d: "" if d.rng.random() < 0.1 else d.pick(d.pools.search_terms),
            required=False,
        ),
        Field("page", Text(max_length=10, blank=True), source=lambda d: 1, required=False),
    ),
    check=paginated,
    timing=AUTHENTICATED_GETS,
    evidence=f"{EVIDENCE}: the path with ?q=, which may be empty",
    assumed="the answer is a DRF page (count, next, previous, results)",
)
TOOLS_AND_TEMPLATES = Endpoint(
    "GET",
    "/api/ai-assistant/tools-and-template/",
    area="ai",
    status=200,
    check=object_or_list,
    timing=AUTHENTICATED_GETS,
    evidence=f"{EVIDENCE}: the path, authenticated",
    assumed="the answer is a JSON object or list",
)
MYSTERY_BOX = Endpoint(
    "GET",
    "/api/ai-assistant/random-mystery-box/",
    area="ai",
    status=200,
    check=json_object,
    timing=AUTHENTICATED_GETS,
    evidence=f"{EVIDENCE}: the path, authenticated",
    assumed="the answer is a JSON object",
)
CHAT_THREAD = Endpoint(
    "POST",
    "/api/ai-assistant/chat/thread/",
    area="ai",
    writes=True,
    status=200,
    body=(
        Field("message", Text(max_length=4000), source=lambda d: d.pick(d.pools.messages)),
        Field("role", Choice((1, 2)), source=lambda d: 1, note="1 the user, 2 the AI"),
    ),
    check=has_keys("thread_id"),
    timing=AUTHENTICATED_GETS,
    evidence=f"{EVIDENCE}: body {{message, role: 1}}; 200 with thread_id",
    assumed="the times of an authenticated GET",
)
MY_COLLECTIONS = Endpoint(
    "GET",
    "/api/ai-assistant/my-collection/",
    area="ai",
    status=200,
    check=list_or_page,
    timing=AUTHENTICATED_GETS,
    evidence=f"{EVIDENCE}: the path, authenticated",
    assumed="the answer is a list or a DRF page",
)
LIBRARY_CATEGORIES = ("mathematics", "science", "history", "languages", "arts", "technology")
LIBRARY = Endpoint(
    "GET",
    "/api/ai-assistant/library/",
    area="library",
    status=200,
    query=(
        Field("page", Text(max_length=10, blank=True), source=lambda d: 1, required=False),
        # Half the visits filter by a category; an empty one is no filter, as in Django's views.
        Field(
            "category",
            Text(max_length=50, blank=True),
            source=lambda d: d.pick(LIBRARY_CATEGORIES) if d.rng.random() < 0.5 else None,
            required=False,
        ),
    ),
    check=paginated,
    timing=AUTHENTICATED_GETS,
    evidence=f"{EVIDENCE}: the path, authenticated",
    assumed="the answer is a DRF page; ?category= filters it",
)
CREATE_COLLECTION = Endpoint(
    "POST",
    "/api/ai-assistant/create-collection/",
    area="library",
    writes=True,
    status=201,
    body=(
        Field("title", Text(max_length=100), source=lambda d: d.pick(d.pools.collection_titles)),
        Field(
            "description",
            Text(max_length=1000, blank=True),
            source=lambda d: d.pick(d.pools.descriptions),
            required=False,
        ),
        Field("privacy", Choice((1, 2)), source=lambda d: d.pick((1, 2)), note="1 private, 2 shareable"),
        Field(
            "color_code",
            Pattern(r"#[0-9A-Fa-f]{6}", "Enter a colour code like #1A2B3C."),
            source=lambda d: d.pick(d.pools.colors),
        ),
    ),
    check=has_keys("id"),
    timing=AUTHENTICATED_GETS,
    evidence=f"{EVIDENCE}: body {{title, description, privacy: 1|2, color_code: #RRGGBB}}; 201; UUID ids",
    assumed="the answer holds the new collection's id; the field lengths",
)
HELP_ARTICLES = Endpoint(
    "GET",
    "/api/help-center/help-articles/",
    area="help",
    auth=False,
    status=200,
    check=list_or_page,
    timing=like_authenticated_gets(240),
    evidence=f"{EVIDENCE}: the path; p50 about 240 ms and 4.7 kB against production",
    assumed="no sign-in needed; the answer is a list or a DRF page",
)
CONTACT_US = Endpoint(
    "POST",
    "/api/help-center/contact-us/",
    area="help",
    writes=True,
    status=201,
    body=(
        Field("first_name", Text(max_length=150), source=lambda d: d.identity.first_name),
        Field("last_name", Text(max_length=150), source=lambda d: d.identity.last_name),
        _EMAIL,
        Field("phone_number", Text(max_length=20), source=lambda d: d.identity.phone_number),
        Field("message", Text(max_length=5000), source=lambda d: d.pick(d.pools.messages)),
    ),
    check=json_object,
    timing=AUTHENTICATED_GETS,
    evidence=f"{EVIDENCE}: body {{first_name, last_name, email, phone_number, message}}",
    assumed="201 with a JSON object; needs sign-in; the times of an authenticated GET",
)

ENDPOINTS = (
    SIGN_UP,
    SIGN_IN,
    TOKEN_REFRESH,
    DASHBOARD,
    SEARCH,
    TOOLS_AND_TEMPLATES,
    MYSTERY_BOX,
    CHAT_THREAD,
    MY_COLLECTIONS,
    LIBRARY,
    CREATE_COLLECTION,
    HELP_ARTICLES,
    CONTACT_US,
)
"""In the order of the task sets."""
