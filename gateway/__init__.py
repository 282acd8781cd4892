"""The web process, storage, configuration and command line of the community-leader messaging gateway."""
