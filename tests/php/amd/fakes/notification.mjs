// core/notification: an exception a module hands to Notification fails the test.
export default {
    exception: error => {
        throw error;
    },
};
