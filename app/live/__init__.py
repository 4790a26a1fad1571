"""The app's live side: wiring of the realtime core to auth, the database and transports."""
