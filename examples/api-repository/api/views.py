"""The 13 endpoints. Every view needs the app API key (default permission); most also a bearer token."""

import random

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from rest_framework import exceptions, generics, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from . import serializers as s
from .models import ChatMessage, ChatThread, Collection, HelpArticle, LibraryItem, Role
from .permissions import HasAppAPIKey


class AccountExists(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "An account with this email already exists."
    default_code = "account_exists"


# --- accounts: API key only -------------------------------------------------------------------------


class SignUpView(APIView):
    # Like SimpleJWT's token views: a public endpoint that ignores any Authorization header.
    authentication_classes = ()
    permission_classes = [HasAppAPIKey]

    def post(self, request):
        serializer = s.SignUpSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if User.objects.filter(username=data["email"]).exists():
            raise AccountExists()
        try:
            # The unique username still decides between two concurrent sign-ups of one email.
            with transaction.atomic():
                user = User.objects.create_user(
                    username=data["email"],
                    email=data["email"],
                    password=data["password"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                )
        except IntegrityError as error:
            raise AccountExists() from error
        refresh = RefreshToken.for_user(user)
        body = {"access": str(refresh.access_token), "refresh": str(refresh), **s.user_payload(user)}
        return Response(body, status=status.HTTP_201_CREATED)


class SignInView(TokenObtainPairView):
    serializer_class = s.SignInSerializer
    permission_classes = [HasAppAPIKey]


class RefreshView(TokenRefreshView):
    permission_classes = [HasAppAPIKey]


def library_items():
    """Every library item with its category, in one query (the serializer reads the category)."""
    return LibraryItem.objects.select_related("category")


# --- dashboard ---------------------------------------------------------------------------------------


class DashboardView(APIView):
    def get(self, request):
        user = request.user
        threads = ChatThread.objects.filter(user=user)
        collections = Collection.objects.filter(user=user)
        return Response(
            {
                "user": {"id": user.id, "email": user.email, "first_name": user.first_name},
                "counts": {
                    "threads": threads.count(),
                    "collections": collections.count(),
                    "library_items": LibraryItem.objects.count(),
                },
                "recent_threads": s.ThreadSummarySerializer(threads[:3], many=True).data,
                "recent_collections": s.CollectionSerializer(collections[:3], many=True).data,
                "featured": s.LibraryItemSerializer(library_items()[:3], many=True).data,
            }
        )


class SearchView(generics.ListAPIView):
    """Library items whose title, description or category contains q (no q or an empty q: all)."""

    serializer_class = s.LibraryItemSerializer

    def get_queryset(self):
        items = library_items()
        q = self.request.query_params.get("q", "").strip()
        if q:
            items = items.filter(
                Q(title__icontains=q) | Q(description__icontains=q) | Q(category__slug__icontains=q)
            )
        return items


# --- AI assistant -------------------------------------------------------------------------------------

TOOLS = [
    {"id": "summarise", "name": "Summariser", "description": "Condense a text into key points."},
    {"id": "quiz", "name": "Quiz maker", "description": "Turn a topic into practice questions."},
    {"id": "explain", "name": "Explainer", "description": "Explain a concept step by step."},
    {"id": "translate", "name": "Translator", "description": "Translate a passage and gloss hard words."},
]
TEMPLATES = [
    {"id": 1, "title": "Lesson plan", "prompt": "Plan a 45-minute lesson on {topic} for {level}."},
    {"id": 2, "title": "Flashcards", "prompt": "Write ten flashcards about {topic}."},
    {"id": 3, "title": "Essay outline", "prompt": "Outline an essay arguing {thesis}."},
]
MYSTERIES = [
    "Why is the sky blue but sunsets red?",
    "How did Eratosthenes measure the Earth with a stick?",
    "Why does a spinning top not fall over?",
    "Where do the words 'algebra' and 'algorithm' come from?",
]


class ToolsAndTemplateView(APIView):
    def get(self, request):
        return Response({"tools": TOOLS, "templates": TEMPLATES})


class RandomMysteryBoxView(APIView):
    def get(self, request):
        item = library_items().order_by("?").first()
        return Response(
            {
                "question": random.choice(MYSTERIES),
                "suggested_item": s.LibraryItemSerializer(item).data if item else None,
            }
        )


class ChatThreadView(APIView):
    def post(self, request):
        serializer = s.ChatRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with transaction.atomic():
            if "thread_id" in data:
                thread = get_object_or_404(ChatThread, id=data["thread_id"], user=request.user)
            else:
                thread = ChatThread.objects.create(user=request.user, title=data["message"][:100])
            ChatMessage.objects.create(thread=thread, role=data["role"], content=data["message"])
            reply = f"Here is a first answer to: {data['message'][:200]}"
            ChatMessage.objects.create(thread=thread, role=Role.AI, content=reply)
        # 200, not 201: that is what the real API answers here.
        return Response(
            {
                "thread_id": str(thread.id),
                "title": thread.title,
                "message": {"role": data["role"], "content": data["message"]},
                "reply": {"role": Role.AI.value, "content": reply},
            }
        )


class MyCollectionView(generics.ListAPIView):
    serializer_class = s.CollectionSerializer

    def get_queryset(self):
        return Collection.objects.filter(user=self.request.user)


class LibraryPage(PageNumberPagination):
    # A shelf of the app's library shows 50 items at a time.
    page_size = 50


class LibraryView(generics.ListAPIView):
    serializer_class = s.LibraryItemSerializer
    pagination_class = LibraryPage

    def get_queryset(self):
        items = library_items()
        category = self.request.query_params.get("category")
        if category:
            items = items.filter(category__slug__iexact=category)
        return items


class CreateCollectionView(generics.CreateAPIView):
    serializer_class = s.CollectionSerializer

    def perform_create(self, serializer):
        serializer.save(user=self.request.user)


# --- help centre --------------------------------------------------------------------------------------


class HelpArticlesView(generics.ListAPIView):
    # API key only, no sign-in; a plain list, since there are only a handful of articles.
    permission_classes = [HasAppAPIKey]
    pagination_class = None
    serializer_class = s.HelpArticleSerializer
    queryset = HelpArticle.objects.all()


class ContactUsView(generics.CreateAPIView):
    serializer_class = s.ContactMessageSerializer

    def perform_create(self, serializer):
        serializer.save(user=self.request.user)


# --- plain Django errors (outside DRF views) as JSON ----------------------------------------------------


def not_found(request, exception=None):
    return JsonResponse({"detail": "Not found."}, status=404)


def server_error(request):
    return JsonResponse({"detail": "Server error."}, status=500)
