from django.contrib import admin

from chuangxing.records import models


class AttendanceInline(admin.TabularInline):
    model = models.Attendance
    extra = 0
    raw_id_fields = ("member",)


@admin.register(models.Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ("key", "branch", "kind", "held_on", "topic", "expected", "present")
    list_filter = ("kind",)
    date_hierarchy = "held_on"
    raw_id_fields = ("branch", "group")
    inlines = [AttendanceInline]


@admin.register(models.Dues)
class DuesAdmin(admin.ModelAdmin):
    list_display = ("member", "month", "amount_due", "amount_paid", "paid_on")
    raw_id_fields = ("member",)


for model in (models.DuesReview, models.DuesPublication, models.Fund, models.SiteCheck, models.ArchiveCheck,
              models.WorkPlan, models.MonthlyRecord):
    admin.site.register(model, list_display=("branch", "__str__"), raw_id_fields=("branch",))

for model in (models.Study, models.TestResult):
    admin.site.register(model, raw_id_fields=("member",))
