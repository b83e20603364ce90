"""Official US restriction lists: data model, parsers, bundled/synced snapshots, screening."""
