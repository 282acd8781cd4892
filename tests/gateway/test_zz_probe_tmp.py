from tests.gateway.test_meetings import *  # noqa
from click.testing import CliRunner
from gateway.cli import main

def test_probe(runtime, directory, env):
    create(runtime)
    f = Chat(runtime, FACILITATOR)
    print("A", f.send("ANNULER REUNION"))
    print("B", f.send("POINT"))
    print("C", f.send("REUNION 5.12 9H30 Ecole"))
    with runtime.db.transaction() as session:
        session.execute(update(Meeting).where(Meeting.id == 1).values(starts_at=utcnow() - timedelta(hours=1)))
    n = len(outbound(runtime))
    r = CliRunner().invoke(main, ["meetings", "cancel", "1"], env=env)
    print("D", r.output, len(outbound(runtime)) - n)
    r = CliRunner().invoke(main, ["meetings", "reschedule", "2", "--at", "2030-01-01 10:00"], env=env)
    print("E", r.output)
    print("F", f.send("ANNULER REUNION 2"))
    print("G", Chat(runtime, LEADER).send("ANNULER"))
