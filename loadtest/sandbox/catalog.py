"""Static content the sandbox serves: library items, AI tools and templates, help articles, mystery boxes.

Built once at import, deterministically, so that every sandbox serves the same catalogue.
"""

from __future__ import annotations

TOPICS: dict[str, tuple[str, ...]] = {
    "mathematics": ("Algebra", "Geometry", "Calculus", "Statistics", "Probability"),
    "science": ("Physics", "Chemistry", "Biology", "Astronomy", "Ecology"),
    "languages": ("English grammar", "Arabic", "French", "Essay writing", "Vocabulary"),
    "history": (
        "Ancient civilisations",
        "World wars",
        "Islamic golden age",
        "Industrial revolution",
        "Empires",
    ),
    "technology": ("Python", "JavaScript", "Algorithms", "Databases", "Web development"),
    "arts": ("Drawing", "Music theory", "Photography", "Calligraphy", "Design"),
}
LEVELS = ("beginners", "intermediate learners", "advanced learners")
CATEGORIES = tuple(TOPICS)


def _library() -> list[dict]:
    items = []
    for category, topics in TOPICS.items():
        for topic in topics:
            for level in LEVELS:
                items.append(
                    {
                        "id": len(items) + 1,
                        "title": f"{topic} for {level}",
                        "description": f"A guided {category} course on {topic.lower()}, written for {level}.",
                        "category": category,
                        "level": level.split()[0],
                        "duration_minutes": 20 + 10 * (len(items) % 7),
                        "rating": round(3.5 + (len(items) % 15) / 10, 1),
                    }
                )
    return items


LIBRARY: list[dict] = _library()
LIBRARY_BY_CATEGORY: dict[str, list[dict]] = {
    c: [i for i in LIBRARY if i["category"] == c] for c in CATEGORIES
}

TOOLS: list[dict] = [
    {
        "id": 1,
        "slug": "lesson-planner",
        "name": "Lesson planner",
        "description": "Plans a lesson from a topic.",
    },
    {
        "id": 2,
        "slug": "quiz-generator",
        "name": "Quiz generator",
        "description": "Writes a quiz with answers.",
    },
    {
        "id": 3,
        "slug": "essay-feedback",
        "name": "Essay feedback",
        "description": "Comments on an essay draft.",
    },
    {"id": 4, "slug": "summariser", "name": "Summariser", "description": "Summarises a text for a level."},
    {"id": 5, "slug": "flashcards", "name": "Flashcards", "description": "Turns notes into flashcards."},
]
TEMPLATES: list[dict] = [
    {
        "id": 1,
        "tool": "lesson-planner",
        "title": "45-minute lesson",
        "prompt": "Plan a 45-minute lesson on {topic}.",
    },
    {
        "id": 2,
        "tool": "quiz-generator",
        "title": "Ten questions",
        "prompt": "Write ten questions on {topic}.",
    },
    {
        "id": 3,
        "tool": "essay-feedback",
        "title": "Rubric feedback",
        "prompt": "Grade this essay with a rubric.",
    },
    {"id": 4, "tool": "summariser", "title": "One paragraph", "prompt": "Summarise {text} in one paragraph."},
    {"id": 5, "tool": "flashcards", "title": "Key terms", "prompt": "Make flashcards of the key terms."},
]

HELP_ARTICLES: list[dict] = [
    {"id": 1, "slug": "getting-started", "title": "Getting started with Amal", "category": "basics"},
    {"id": 2, "slug": "reset-password", "title": "How to reset your password", "category": "account"},
    {"id": 3, "slug": "ai-assistant", "title": "Using the AI assistant", "category": "ai-assistant"},
    {"id": 4, "slug": "collections", "title": "Organising collections", "category": "library"},
    {"id": 5, "slug": "search-tips", "title": "Search tips", "category": "basics"},
    {"id": 6, "slug": "billing", "title": "Billing and subscriptions", "category": "account"},
    {"id": 7, "slug": "privacy", "title": "Your data and privacy", "category": "account"},
    {"id": 8, "slug": "contact", "title": "Contacting support", "category": "support"},
]

MYSTERY_BOXES: list[dict] = [
    {
        "id": 1,
        "kind": "fact",
        "title": "Did you know?",
        "content": "Al-Khwarizmi's name gave us the word algorithm.",
    },
    {
        "id": 2,
        "kind": "challenge",
        "title": "Quick challenge",
        "content": "Explain photosynthesis in 3 sentences.",
    },
    {
        "id": 3,
        "kind": "quote",
        "title": "Quote of the day",
        "content": "Seek knowledge from the cradle to the grave.",
    },
    {
        "id": 4,
        "kind": "tip",
        "title": "Study tip",
        "content": "Test yourself instead of re-reading your notes.",
    },
    {"id": 5, "kind": "puzzle", "title": "Puzzle", "content": "What has keys but cannot open locks?"},
    {
        "id": 6,
        "kind": "fact",
        "title": "Did you know?",
        "content": "Light from the Sun takes about 8 minutes to reach us.",
    },
]

SEARCHABLE: list[dict] = [
    *({"type": "library", "id": i["id"], "title": i["title"], "snippet": i["description"]} for i in LIBRARY),
    *({"type": "tool", "id": t["id"], "title": t["name"], "snippet": t["description"]} for t in TOOLS),
    *(
        {"type": "help_article", "id": a["id"], "title": a["title"], "snippet": a["category"]}
        for a in HELP_ARTICLES
    ),
]
_SEARCH_TEXT: list[str] = [f"{r['title']} {r['snippet']}".lower() for r in SEARCHABLE]


def search(query: str) -> list[dict]:
    """Results whose title or snippet contains any word of ``query``, case-insensitively; all for none."""
    words = query.lower().split()
    if not words:
        return SEARCHABLE
    return [r for r, text in zip(SEARCHABLE, _SEARCH_TEXT, strict=True) if any(w in text for w in words)]
