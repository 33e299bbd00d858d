from arrears.models import Notification
from households.models import OnSiteTip
from households.tips import tip_report


def test_a_tip_reaches_the_responsible_collector(world):
    tip = tip_report(
        household=world.house_a, kind=OnSiteTip.Kind.OWNER_SEEN, reported_by=world.site
    )
    note = Notification.objects.get()
    assert note.recipient == world.collector_a
    assert note.kind == Notification.Kind.TIP
    assert "C6-101" in note.title
    assert note.url.endswith(f"/cases/{world.case_a.pk}/")
    assert tip.reported_by == world.site


def test_without_a_responsible_person_the_team_leader_hears(world):
    world.case_a.responsible = None
    world.case_a.save()
    tip_report(
        household=world.house_a, kind=OnSiteTip.Kind.RENOVATION_STARTED, reported_by=world.site
    )
    assert Notification.objects.get().recipient == world.leader_a
