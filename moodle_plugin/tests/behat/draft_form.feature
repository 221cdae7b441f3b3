@mod @mod_assign @assignsubmission @assignsubmission_s3video
Feature: The video upload form says what saving and cancelling do
  In order to know when my video is submitted
  As a student
  I need the form to say that an upload is a draft until I save it

  Background:
    Given the following "courses" exist:
      | fullname | shortname |
      | Course 1 | C1        |
    And the following "users" exist:
      | username | firstname | lastname |
      | student1 | Student   | One      |
    And the following "course enrolments" exist:
      | user     | course | role    |
      | student1 | C1     | student |
    And the following config values are set as admin:
      | config     | value                      | plugin                   |
      | sidecarurl | http://127.0.0.1:9         | assignsubmission_s3video |
      | keyid      | behat                      | assignsubmission_s3video |
      | secret     | behat-secret-0123456789abc | assignsubmission_s3video |
    And the following "activities" exist:
      | activity | course | name       | assignsubmission_s3video_enabled | assignsubmission_onlinetext_enabled | assignsubmission_file_enabled |
      | assign   | C1     | Video task | 1                                | 0                                   | 0                                 |

  Scenario: A student who never saved has no video, and the form calls an upload a draft
    When I am on the "Video task" Activity page logged in as student1
    Then I should see "No submissions have been made yet"
    And I should not see "Play video"
    And I press "Add submission"
    And I should see "A video you upload here is a draft until you press \"Save changes\"."
    And I press "Cancel"
    And I should see "No submissions have been made yet"
