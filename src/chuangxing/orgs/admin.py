from django.contrib import admin

from chuangxing.orgs.models import CommitteePost, CommitteeTerm, Member, Organization, Transfer


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "branch_type", "parent")
    list_filter = ("kind", "branch_type")
    search_fields = ("code", "name", "unit")
    raw_id_fields = ("parent",)


class TransferInline(admin.TabularInline):
    model = Transfer
    extra = 0


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ("number", "name", "branch", "category", "is_leader", "under_management")
    list_filter = ("category", "is_leader", "under_management")
    search_fields = ("number", "name")
    raw_id_fields = ("branch", "group")
    inlines = [TransferInline]


class CommitteePostInline(admin.TabularInline):
    model = CommitteePost
    extra = 0
    raw_id_fields = ("member",)


@admin.register(CommitteeTerm)
class CommitteeTermAdmin(admin.ModelAdmin):
    list_display = ("branch", "elected_on", "years", "has_committee", "extended_until")
    raw_id_fields = ("branch",)
    inlines = [CommitteePostInline]
