"""People's first names: "mike switch the garage light off" is said to Mike.

Speech-to-text seldom writes the comma after a name someone is called by, so a request
that starts with a person's name reads like one that starts with the assistant's own
other name ("olly, clean the floors"). These are common English first names and their
short forms. Left out on purpose: names that are also words a request may start with or
hold (will, mark, max, rob, bill, jack, frank, grace, hope, rose, ruby, amber, jade,
violet, olive, hazel, sky, summer, dawn, may, june, april, august, chase, drew, guy,
ray, dean, miles, hunter, carter, mason, sandy, penny, holly, ginger, pepper, echo,
nova, ...), and assistants' names (:data:`edge_os.intent.grammar.ASSISTANT_NAMES`).
"""

from __future__ import annotations

_NAMES = """
    aaron abby abigail adam adrian aidan aiden alan albert alec alexander alfie alice
    alison amanda amelia amy andrea andrew andy angela angie anna anne annie anthony archie
    arthur ashley barbara becky ben benjamin beth bethany betty bob bobby brandon brenda
    brian bridget caleb cameron carl carla caroline carrie casey catherine charlie charlotte
    chloe chris christine christopher claire colin connor craig dan daniel danny dave david
    debbie deborah dennis derek diana diane dominic donna dorothy doug douglas dylan eddie
    edward eleanor elizabeth ella ellie emily emma eric erin ethan eve evelyn fiona fred
    freddie gary gavin george georgia gerald gordon graham greg gregory hannah harry heidi
    helen henry ian isaac isabel isabella isla jacob jake james jamie jane janet jason
    jeff jennifer jenny jeremy jess jessica jim jimmy joanne joe joel john johnny jonathan
    jordan joseph josh joshua judy julia julie justin karen kate katie keith kelly ken
    kevin kim kyle laura lauren leah lee leo liam linda lily lisa lucas lucy luke lydia maddie
    maggie margaret maria martin mary matt matthew megan melissa mia michael michelle mike
    molly nancy naomi natalie nathan neil nicola nicole noah oliver oscar owen pam
    pamela patrick paul paula peter phil philip phoebe rachel rebecca richard rick robert
    robbie robin ryan sally sam samantha samuel sara sarah scott sean sharon simon sophie
    stephen steve steven stuart susan tim timmy timothy toby tom tommy tony tracy victoria
    wendy william zach zoe
"""
FIRST_NAMES = frozenset(_NAMES.split())
"""Lower-case first names of people (see the module's note on what is left out)."""
