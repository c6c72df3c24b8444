"""Official documents: one model (`model.Document`), rendered as a workbook (`xlsx`), a print view
and a PDF (`web`). See model.py."""
