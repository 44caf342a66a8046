# Incidents, grading, reports and deadlines arrive with the incidents issue.
