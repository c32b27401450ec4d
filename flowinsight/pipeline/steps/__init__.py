"""The core of the analysis as steps, one module each, every one a function
`(Analysis) -> Analysis` (state.py): what it needs of the analysis so far in, the same with
what it worked out added, out. build.CORE lists them in the order they run."""
