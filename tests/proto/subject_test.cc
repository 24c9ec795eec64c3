// Subject pattern relations the accounts and permissions code relies on:
// a literal matching a pattern, two patterns colliding (nats'
// SubjectsCollide, for import cycles), one pattern covering another (nats'
// subset match, for imports authorised by exports).
#include <gtest/gtest.h>

#include "proto/subject.h"

using namespace ringnats::proto;

TEST(Subject, Matches) {
  EXPECT_TRUE(subject_matches("foo.*", "foo.bar"));
  EXPECT_TRUE(subject_matches("foo.>", "foo.bar.baz"));
  EXPECT_TRUE(subject_matches(">", "a"));
  EXPECT_FALSE(subject_matches("foo.*", "foo.bar.baz"));
  EXPECT_FALSE(subject_matches("foo.>", "foo"));
  EXPECT_FALSE(subject_matches("foo.bar", "foo"));
  EXPECT_FALSE(subject_matches("foo", "foo.bar"));
}

TEST(Subject, Collide) {
  EXPECT_TRUE(subjects_collide("s.>", "s.x"));
  EXPECT_TRUE(subjects_collide("a.*.c", "a.b.*"));
  EXPECT_TRUE(subjects_collide(">", "anything.at.all"));
  EXPECT_FALSE(subjects_collide("a.b", "a.c"));
  EXPECT_FALSE(subjects_collide("a.*", "a.b.c"));
  EXPECT_FALSE(subjects_collide("a", "a.b"));
}

TEST(Subject, Subset) {
  EXPECT_TRUE(subject_is_subset("pub.x", "pub.>"));
  EXPECT_TRUE(subject_is_subset("pub.*", "pub.>"));
  EXPECT_TRUE(subject_is_subset("pub.*.z", "pub.*.*"));
  EXPECT_FALSE(subject_is_subset("pub.>", "pub.*"));
  EXPECT_FALSE(subject_is_subset("pub.*", "pub.x"));
  EXPECT_FALSE(subject_is_subset(">", "pub.>"));
  EXPECT_FALSE(subject_is_subset("pub", "pub.>"));
}
