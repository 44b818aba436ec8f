from api import views
from django.urls import path

urlpatterns = [
    path("api/accounts/sign-up/", views.SignUpView.as_view()),
    path("api/accounts/sign-in/", views.SignInView.as_view()),
    path("api/accounts/token/refresh/", views.RefreshView.as_view()),
    path("api/dashboard/", views.DashboardView.as_view()),
    path("api/dashboard/v2/search/", views.SearchView.as_view()),
    path("api/ai-assistant/tools-and-template/", views.ToolsAndTemplateView.as_view()),
    path("api/ai-assistant/random-mystery-box/", views.RandomMysteryBoxView.as_view()),
    path("api/ai-assistant/chat/thread/", views.ChatThreadView.as_view()),
    path("api/ai-assistant/my-collection/", views.MyCollectionView.as_view()),
    path("api/ai-assistant/library/", views.LibraryView.as_view()),
    path("api/ai-assistant/create-collection/", views.CreateCollectionView.as_view()),
    path("api/help-center/help-articles/", views.HelpArticlesView.as_view()),
    path("api/help-center/contact-us/", views.ContactUsView.as_view()),
]

handler404 = views.not_found
handler500 = views.server_error
