# Response levels and task-group activation arrive with the response issue.
