"""What every app may use and that belongs to none: the bottom layer (no models, imports no app)."""
