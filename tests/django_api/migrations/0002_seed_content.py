"""Seed the shared content: 36 library items (6 per category) and 8 help articles (~4.7 kB as JSON)."""

from django.db import migrations

CATEGORIES = {
    "mathematics": [
        "Fractions",
        "Linear equations",
        "Geometry proofs",
        "Probability",
        "Calculus",
        "Statistics",
    ],
    "science": [
        "Photosynthesis",
        "Newton's laws",
        "The periodic table",
        "Cells",
        "Electricity",
        "Ecosystems",
    ],
    "history": [
        "Ancient Egypt",
        "The Silk Road",
        "The Renaissance",
        "Industrial Revolution",
        "Empires",
        "Cold War",
    ],
    "languages": [
        "Arabic script",
        "English tenses",
        "French verbs",
        "Spanish phrases",
        "Etymology",
        "Poetry",
    ],
    "arts": ["Colour theory", "Perspective drawing", "Calligraphy", "Music scales", "Sculpture", "Film"],
    "technology": ["Algorithms", "The web", "Databases", "Networks", "Robotics", "Machine learning"],
}

HELP_TOPICS = [
    ("Creating your account", "account"),
    ("Signing in and staying signed in", "account"),
    ("Chatting with the AI assistant", "assistant"),
    ("Using tools and templates", "assistant"),
    ("Organising collections", "collections"),
    ("Sharing a collection", "collections"),
    ("Browsing the library", "library"),
    ("Contacting support", "support"),
]

HELP_BODY = (
    "This article walks you through {topic_lower}. Open the app and go to the relevant screen from the "
    "main menu. Each option is explained on screen. Changes are saved as you go. If something does not "
    "look right, sign out and back in, check that the app is up to date, and try again. Still stuck? "
    "Write to us from the Contact us page with a short description and, if you can, a screenshot: we "
    "answer within two working days."
)


def seed(apps, schema_editor):
    LibraryItem = apps.get_model("django_api", "LibraryItem")
    HelpArticle = apps.get_model("django_api", "HelpArticle")
    LibraryItem.objects.bulk_create(
        LibraryItem(
            title=f"{topic}: an introduction",
            description=f"A short illustrated guide to {topic.lower()} in {category}, with exercises.",
            category=category,
            author=f"Amal {category.title()} Team",
        )
        for category, topics in CATEGORIES.items()
        for topic in topics
    )
    HelpArticle.objects.bulk_create(
        HelpArticle(
            title=title,
            slug=title.lower().replace(" ", "-"),
            category=category,
            body=HELP_BODY.format(topic_lower=title.lower()),
        )
        for title, category in HELP_TOPICS
    )


def unseed(apps, schema_editor):
    apps.get_model("django_api", "LibraryItem").objects.all().delete()
    apps.get_model("django_api", "HelpArticle").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("django_api", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
