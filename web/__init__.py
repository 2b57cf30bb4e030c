"""markscan's server side: pages, API, storage, the CLI and the 1C link."""
