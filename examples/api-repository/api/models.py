"""What the API stores. Users are Django's own User, with username = email."""

import hashlib
import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models


class Role(models.IntegerChoices):
    USER = 1, "user"
    AI = 2, "ai"


class Privacy(models.IntegerChoices):
    PRIVATE = 1, "private"
    SHAREABLE = 2, "shareable"


class AppAPIKey(models.Model):
    """A key the app sends in X-API-Token. Only its SHA-256 digest is stored (``manage.py seed``)."""

    name = models.CharField(max_length=100, unique=True)
    digest = models.CharField(max_length=64, unique=True)

    @staticmethod
    def digest_of(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class Category(models.Model):
    """A shelf of the library: mathematics, science, ..."""

    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=100)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "categories"


class LibraryItem(models.Model):
    """Shared learning material, seeded by ``manage.py seed``."""

    title = models.CharField(max_length=200)
    description = models.TextField()
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="items")
    author = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


class HelpArticle(models.Model):
    """Help-centre articles, seeded by ``manage.py seed``."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    category = models.CharField(max_length=50)
    body = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]


class ChatThread(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="threads")
    title = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]


class ChatMessage(models.Model):
    thread = models.ForeignKey(ChatThread, on_delete=models.CASCADE, related_name="messages")
    role = models.PositiveSmallIntegerField(choices=Role.choices)
    content = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


class Collection(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collections")
    title = models.CharField(max_length=100)
    description = models.TextField(blank=True, default="")
    privacy = models.PositiveSmallIntegerField(choices=Privacy.choices)
    color_code = models.CharField(
        max_length=7,
        validators=[RegexValidator(r"^#[0-9A-Fa-f]{6}$", "Enter a colour as #RRGGBB, e.g. #1A2B3C.")],
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "id"]


class ContactMessage(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_messages"
    )
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150)
    email = models.EmailField()
    phone_number = models.CharField(max_length=20)
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
