"""flowinsight in CI: pure functions over graph documents (what `export --format json` writes).

`document` reads a document into typed values, `names` gives nodes readable names and the keys
that match them across runs, `keyed` groups a graph by those keys, `rules` + `evaluate` are
`flowinsight check`, `diff` is `flowinsight diff`, `junit` and `diff_render` write their
reports. Nothing here reads logs or
knows click: the CLI turns sessions into documents and calls these.
"""
