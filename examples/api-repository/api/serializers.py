"""Request validation and response shapes; errors come out as DRF's own field-error bodies."""

from django.contrib.auth import password_validation
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer

from .models import ChatThread, Collection, ContactMessage, HelpArticle, LibraryItem, Role


def user_payload(user: User) -> dict:
    """The user fields that sign-up and sign-in return beside the tokens."""
    as_text = serializers.DateTimeField().to_representation
    return {
        "id": user.id,
        "email": user.email,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": user.is_active,
        "date_joined": as_text(user.date_joined),
        "last_login": as_text(user.last_login) if user.last_login else None,
    }


class SignUpSerializer(serializers.Serializer):
    # 150 = User.username's max_length, since the email becomes the username.
    email = serializers.EmailField(max_length=150)
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=128)
    first_name = serializers.CharField(required=False, allow_blank=True, max_length=150, default="")
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=150, default="")

    def validate(self, attrs: dict) -> dict:
        candidate = User(username=attrs["email"], email=attrs["email"])
        try:
            password_validation.validate_password(attrs["password"], candidate)
        except DjangoValidationError as error:
            raise serializers.ValidationError({"password": list(error.messages)}) from error
        return attrs


class SignInSerializer(TokenObtainPairSerializer):
    """SimpleJWT's own pair serializer (username + password), with the user fields added."""

    def validate(self, attrs: dict) -> dict:
        data = super().validate(attrs)
        data.update(user_payload(self.user))
        return data


class ChatRequestSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=4000)
    role = serializers.ChoiceField(choices=Role.choices)
    # Optional: continue one of the user's threads instead of starting a new one.
    thread_id = serializers.UUIDField(required=False)


class CollectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Collection
        fields = ["id", "title", "description", "privacy", "color_code", "created_at"]
        read_only_fields = ["id", "created_at"]


class LibraryItemSerializer(serializers.ModelSerializer):
    # The category's slug, read through the foreign key: a list view must select_related("category"),
    # or each item costs one more query (the N+1 the load test's rehearsal catches).
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = LibraryItem
        fields = ["id", "title", "description", "category", "author", "created_at"]


class HelpArticleSerializer(serializers.ModelSerializer):
    class Meta:
        model = HelpArticle
        fields = ["id", "title", "slug", "category", "body", "updated_at"]


class ThreadSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = ChatThread
        fields = ["id", "title", "created_at"]


class ContactMessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContactMessage
        fields = ["id", "first_name", "last_name", "email", "phone_number", "message", "created_at"]
        read_only_fields = ["id", "created_at"]
