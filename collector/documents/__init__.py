"""Out: the documents — statements, the grid report, the reserve report and the public page —
each made from one snapshot as of its instant, and kept whole once issued."""
