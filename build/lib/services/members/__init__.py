"""The member database (form ME-FR-03-01-01): members, their history, imports, selections, phone lookup."""
