"""``manage.py seed``: the content the 13 endpoints serve, and the load test's key and account.

- 300 library items, 50 in each of 6 categories (the categories the load test filters by);
- 8 help articles (about 4.7 kB as JSON, as production's answer measured);
- the app API key from LOADTEST_API_KEY (its digest only) and, when LOADTEST_EMAIL and LOADTEST_PASSWORD
  are set, the load test's account with that password.
Run it again at will: content is added once, the key and the account are brought up to date.
"""

import os

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from api.models import AppAPIKey, Category, HelpArticle, LibraryItem

CATEGORIES = {
    "mathematics": [
        "Fractions", "Linear equations", "Geometry proofs", "Probability", "Calculus",
        "Statistics", "Trigonometry", "Prime numbers", "Vectors", "Sequences",
    ],
    "science": [
        "Photosynthesis", "Newton's laws", "The periodic table", "Cells", "Electricity",
        "Ecosystems", "Plate tectonics", "The solar system", "Genetics", "Chemical bonds",
    ],
    "history": [
        "Ancient Egypt", "The Silk Road", "The Renaissance", "Industrial Revolution", "Empires",
        "Cold War", "Al-Andalus", "The printing press", "Ancient Greece", "Exploration at sea",
    ],
    "languages": [
        "Arabic script", "English tenses", "French verbs", "Spanish phrases", "Etymology",
        "Poetry", "Persuasive writing", "Punctuation", "Reading aloud", "Storytelling",
    ],
    "arts": [
        "Colour theory", "Perspective drawing", "Calligraphy", "Music scales", "Sculpture",
        "Film", "Islamic geometric patterns", "Printmaking", "Rhythm", "Architecture",
    ],
    "technology": [
        "Algorithms", "The web", "Databases", "Networks", "Robotics",
        "Machine learning", "Binary numbers", "Cybersecurity", "Spreadsheets", "Game design",
    ],
}  # fmt: skip
FORMATS = [
    ("an introduction", "A short illustrated guide to {topic} in {category}, with exercises."),
    ("worked examples", "Step-by-step solutions that show how to tackle {topic}, from easy to hard."),
    ("practice questions", "Thirty questions on {topic}, each with a hint and a full answer."),
    ("a revision guide", "The key ideas of {topic} on four pages, for the week before a test."),
    ("a class project", "A two-week project that puts {topic} to use, with a marking guide."),
]

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
KEY_NAME = "load test"


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        api_key = os.environ.get("LOADTEST_API_KEY", "")
        if not api_key:
            raise CommandError("LOADTEST_API_KEY is not set: it is the key the load test will send.")
        with transaction.atomic():
            if not Category.objects.exists():
                seed_library()
                seed_help_articles()
            AppAPIKey.objects.update_or_create(
                name=KEY_NAME, defaults={"digest": AppAPIKey.digest_of(api_key)}
            )
            account = self.seed_account()
        items, articles = LibraryItem.objects.count(), HelpArticle.objects.count()
        # Never the key or the password: this line lands in the load test's server.log.
        self.stdout.write(f"seeded: {items} library items, {articles} help articles, the API key{account}")

    def seed_account(self) -> str:
        email, password = os.environ.get("LOADTEST_EMAIL"), os.environ.get("LOADTEST_PASSWORD")
        if not (email and password):
            return " (no account: LOADTEST_EMAIL or LOADTEST_PASSWORD is not set)"
        user, _ = User.objects.get_or_create(username=email, defaults={"email": email})
        user.set_password(password)
        user.save()
        return ", the load test's account"


def seed_library() -> None:
    categories = Category.objects.bulk_create(Category(slug=slug, title=slug.title()) for slug in CATEGORIES)
    LibraryItem.objects.bulk_create(
        LibraryItem(
            title=f"{topic}: {name}",
            description=description.format(topic=topic.lower(), category=category.slug),
            category=category,
            author=f"Amal {category.title} Team",
        )
        for category in categories
        for topic in CATEGORIES[category.slug]
        for name, description in FORMATS
    )


def seed_help_articles() -> None:
    HelpArticle.objects.bulk_create(
        HelpArticle(
            title=title,
            slug=title.lower().replace(" ", "-"),
            category=category,
            body=HELP_BODY.format(topic_lower=title.lower()),
        )
        for title, category in HELP_TOPICS
    )
