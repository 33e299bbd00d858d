from django.utils import translation

from arrears.models import Notification
from households.models import OnSiteTip
from households.tips import tip_report


def test_a_tip_reaches_the_responsible_collector(world):
    tip = tip_report(household=world.house_a, kind=OnSiteTip.Kind.OWNER_SEEN, by=world.site)
    note = Notification.objects.get()
    assert note.recipient == world.collector_a
    assert note.kind == Notification.Kind.TIP
    assert "C6-101" in note.title
    assert note.url.endswith(f"/cases/{world.case_a.pk}/")
    assert tip.reported_by == world.site


def test_without_a_responsible_person_the_team_leader_hears(world):
    world.case_a.responsible = None
    world.case_a.save()
    tip_report(household=world.house_a, kind=OnSiteTip.Kind.RENOVATION_STARTED, by=world.site)
    assert Notification.objects.get().recipient == world.leader_a


def test_a_tip_note_that_mentions_an_unlawful_method_is_saved_flagged_and_the_manager_told(
    world,
):
    with translation.override("en"):
        tip = tip_report(
            household=world.house_a,
            kind=OnSiteTip.Kind.OWNER_SEEN,
            by=world.site,
            note="业主回来了，门岗可以限制车辆进出吗",
        )
    tip.refresh_from_db()
    assert tip.flagged_terms == ["限制车辆进出"]
    flag = Notification.objects.get(recipient=world.manager)
    assert flag.kind == Notification.Kind.FLAG
    with translation.override("en"):  # read by someone reading the desk in English
        assert "限制车辆进出 (blocking access)" in flag.shown_body
    # the collector still hears of the tip
    assert Notification.objects.filter(recipient=world.collector_a).exists()


def test_a_plain_tip_is_not_flagged(world):
    tip = tip_report(
        household=world.house_a,
        kind=OnSiteTip.Kind.RENOVATION_STARTED,
        by=world.site,
        note="装修队今天进场，夜间巡逻时见灯亮",
    )
    assert tip.flagged_terms == []
    assert not Notification.objects.filter(recipient=world.manager).exists()


def test_a_responsible_person_no_longer_in_the_team_hears_nothing_the_leader_does(world):
    from teams.models import TeamMember

    # Removed in the administration: her name is still on case_a, she no longer sees it.
    TeamMember.objects.get(team=world.team_a, user=world.collector_a).delete()
    tip_report(household=world.house_a, kind=OnSiteTip.Kind.OWNER_SEEN, by=world.site)
    assert Notification.objects.get().recipient == world.leader_a


def test_a_tip_note_longer_than_300_characters_is_refused_with_its_length(client, world, settings):
    from django.urls import reverse

    client.force_login(world.site)
    url = reverse("tip-new", args=[world.house_a.pk])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the message as written (its msgid)
    response = client.post(url, {"kind": "moving", "note": "搬" * 301}, follow=True)
    assert "301 characters long, more than the 300" in response.content.decode()
    assert not OnSiteTip.objects.exists()
