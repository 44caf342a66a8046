# Early warnings (预警) arrive with the early-warnings issue.
