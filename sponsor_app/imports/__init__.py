"""Import class lists and staff lists from Excel exports (CSDL ngành, vnEdu, SMAS).

xlsx.py reads an upload safely and finds the table; services.py parses, plans and applies;
routes.py is the upload → preview → confirm pages; cli.py is `flask import students|staff`.
"""
