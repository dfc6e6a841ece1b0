"""The Textual front end: screening screens over the same workflow as the CLI."""
