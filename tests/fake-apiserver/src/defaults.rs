//! Server-side defaulting for created objects.
