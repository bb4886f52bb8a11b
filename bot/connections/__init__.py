"""Connected sources: places a specialist's documents live (intranet pages, SharePoint, channel files)."""
