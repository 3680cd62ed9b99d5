"""The command line (click stays here): commands, option types, exits, the launcher, the gallery builder."""
