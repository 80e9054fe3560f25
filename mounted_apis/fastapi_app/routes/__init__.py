"""One APIRouter per area, joined in main.create_app."""
