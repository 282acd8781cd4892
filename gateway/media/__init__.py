"""Media that leaders send (photos, voice notes, documents): rows with their message, files kept by a job, shown
to staff through a role-checked route, purged with bodies by retention."""
