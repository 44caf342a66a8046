from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"

    def ready(self):
        from incidents import grading, written_report
        from timeline.readings import register_vocabulary

        register_vocabulary("grade_basis", grading.basis)
        register_vocabulary("written_report_item",
                            {element.key: element.label for element in written_report.ELEMENTS})
