"""Classroom grading with nbgrader: a course directory, and a sandbox per submission.

* ``course``: ``kklab classroom init`` writes the course directory;
* ``config``: what the course's ``nbgrader_config.py`` sets;
* ``execute``: ``KklabExecute``, nbgrader's Execute step run in a sandbox,
  with test cells graded from the teacher's side;
* ``sandbox``: one submission's namespace, ServiceAccount, quota, kubeconfig;
* ``autograde``: ``kklab classroom autograde``, several submissions at once.
"""
