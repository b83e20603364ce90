"""vendorcheck front ends: the CLI, the Slack app, and the renderers for both."""
